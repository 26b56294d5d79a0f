"""Which memories limit what LampDesk may suggest (diets, allergies, health): no SQL here."""

from __future__ import annotations

import re

#: Kinds of diet (a regular expression's alternatives), in statements about the user.
DIET_TYPES = (
    r"vegans?|vegetarians?|pescatarians?|flexitarian|carnivore|omnivore|keto|paleo|kosher|halal|"
    r"plant-based|low-carb|gluten-free|dairy-free|raw food"
)

#: Topics that stand for constraints on what LampDesk may suggest: (topic, constraint kind).
CONSTRAINT_KINDS = ("diet", "allergy", "medical")


_RESTRICTION = re.compile(
    rf"\b(?:{DIET_TYPES})\b|\b(?:don't|do not|can't|cannot|never|no longer|avoid|stopped|"
    rf"gave up|cut out|not allowed|shouldn't|must not|only)\b",
    re.IGNORECASE,
)
_ALLERGY = re.compile(r"\ballerg(?:ic|y|ies)\b|\bintoleran(?:t|ce)\b", re.IGNORECASE)


def constraint_of(text: str, topic: str | None) -> str | None:
    """The kind of constraint a memory sets on what LampDesk may suggest (see
    :data:`CONSTRAINT_KINDS`): "allergy" for allergies and intolerances, "medical" for health
    conditions and limits, "diet" for a kind of diet or a food the user does not eat;
    ``None`` for everything else ("I love steak" is a taste, not a constraint)."""
    if topic == "allergy" or _ALLERGY.search(text):
        return "allergy"
    if topic == "health":
        return "medical"
    if topic == "diet" and _RESTRICTION.search(text):
        return "diet"
    return None
