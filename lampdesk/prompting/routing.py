"""Routing: is a question about the user's own facts, or a request to generate something?

A question about the user's own life ("Where does my sister live?", "What did I plant in
March?", "When did Caroline go hiking?" in an imported conversation) is answered *grounded*: from
the retrieved item that holds the answer, quoted (see :mod:`lampdesk.prompting.grounded`), or
"I don't know" when nothing retrieved holds it. Everything else ("Suggest a dinner", "What
should I cook tonight?", "Write a note to my brother") is a request, generated *freely* with the
profile as context; when such a request refers to someone or somewhere the profile knows ("my
brother", "near where I live"), the name or place is written into the prompt's question, where a
small model will use it.

Only the question's form decides, with what the profile holds (a name the question mentions must
be known to the profile): no data set's strings are special.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lampdesk.retrieval.retriever import RetrievedItem

GROUNDED = "grounded"
FREE = "free"
MODES = (GROUNDED, FREE)

#: A question's first word that makes it a question about facts.
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|where|where's|when|when's|who|who's|whom|whose|which|why|"
    r"how\s+(?:many|much|long|old|often|far|did|was|were|is|are|does)|"
    r"do|does|did|is|are|am|was|were|have|has|had|will|would|can|could)\b"
)
#: Asking for something to be made, advised or done: a request, whatever its form.
_REQUEST = re.compile(
    r"^(?:please\s+|hey\s+|ok(?:ay)?\s+|so\s+)?"
    r"(?:give|suggest|recommend|write|plan|draft|compose|make|create|help|list|find|show|"
    r"explain|describe|summari[sz]e|translate|propose|brainstorm|invent|generate|send|"
    r"prepare|cook|bake|book|remind|tell\s+me\s+(?:a|an|some|about|how)|name\s+(?:a|some)|"
    r"come\s+up|think\s+of|share|teach|draw|sing|imagine|let's|lets)\b"
    r"|^(?:can|could|would|will)\s+you\b"
    r"|\b(?:should|could|can|shall|might|may|ought\s+to)\s+(?:i|we)\b"
    r"|\b(?:what|which)(?:'s| is| are| would be)\s+(?:a\s+|some\s+)?(?:good|nice|great|"
    r"healthy|quick|easy|fun|best|better)\b"
    r"|\bhow\s+(?:do|can|should|could|would)\s+(?:i|we|you)\b"
    r"|\b(?:any|some)\s+(?:ideas?|tips?|suggestions?|advice|recommendations?)\b"
    r"|\b(?:where|what)\s+to\b|\bis\s+it\s+(?:ok|okay|safe|wise|a\s+good\s+idea)\b"
)
#: The user speaking of themselves.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|myself|we|our|us)\b")
_WORD = re.compile(r"[\w'-]+")

#: Words of kinship and company; a request naming "my <word>" gets the person's name.
RELATIONS: Mapping[str, tuple[str, ...]] = {
    "mother": ("mother", "mum", "mom", "mama", "mummy", "mommy"),
    "father": ("father", "dad", "papa", "daddy"),
    "grandmother": ("grandmother", "grandma", "granny", "nan", "nana"),
    "grandfather": ("grandfather", "grandpa", "granddad", "grandad"),
    "wife": ("wife",), "husband": ("husband",), "partner": ("partner", "spouse"),
    "girlfriend": ("girlfriend",), "boyfriend": ("boyfriend",), "fiance": ("fiance", "fiancee"),
    "son": ("son",), "daughter": ("daughter",), "brother": ("brother",), "sister": ("sister",),
    "aunt": ("aunt", "auntie"), "uncle": ("uncle",), "cousin": ("cousin",),
    "niece": ("niece",), "nephew": ("nephew",), "best friend": ("best friend", "bestie"),
    "friend": ("friend",), "boss": ("boss", "manager"), "colleague": ("colleague", "coworker"),
    "neighbour": ("neighbour", "neighbor"), "roommate": ("roommate", "flatmate"),
    "cat": ("cat", "kitten"), "dog": ("dog", "puppy"), "baby": ("baby",),
    "teacher": ("teacher",), "doctor": ("doctor",), "coach": ("coach",),
}  # fmt: skip
#: Where the user lives, as a request says it.
_HOME_PHRASE = re.compile(
    r"\b(?:(?:in|around|near|close\s+to|from)\s+)?(?:my\s+(?:city|town|village|area|"
    r"neighbou?rhood|hometown|region)|where\s+i\s+live|(?:near|close\s+to|around)\s+"
    r"(?:home|me|my\s+home|my\s+place))\b",
    re.IGNORECASE,
)
#: Attributes that say where the user lives, most specific first.
HOME_ATTRIBUTES = ("city", "town", "home", "location", "lives_in", "place", "region", "country")
_LIVE_IN = re.compile(r"\bI\s+(?:live|am\s+living|'m\s+living|moved)\s+(?:in|to)\s+([A-Z][\w'-]+)")
#: Words that follow "my <relation>" without being a name.
_NOT_NAMES = frozenset(
    {"I", "The", "A", "An", "He", "She", "They", "It", "We", "My", "His", "Her", "Our", "And"}
)


@dataclass(frozen=True)
class Resolved:
    """Someone or somewhere a request refers to, as the profile knows it."""

    phrase: str
    value: str
    #: ``"person"`` or ``"place"``.
    kind: str
    #: ``"memory"`` (with ``id``) or ``"attribute"`` (with ``key``).
    source: str
    ref: str

    def as_json(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "value": self.value, "kind": self.kind,
                "source": self.source, "ref": self.ref}  # fmt: skip


@dataclass(frozen=True)
class Route:
    mode: str
    reason: str
    #: The question as the prompt says it (with what a request refers to resolved).
    prompt_question: str
    resolved: list[Resolved] = field(default_factory=list)
    forced: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "reason": self.reason,
            "forced": self.forced,
            "resolved": [r.as_json() for r in self.resolved],
        }


def is_request(question: str) -> bool:
    """Does *question* ask for something to be made, advised or done?"""
    return bool(_REQUEST.search(_normal(question)))


def names_a_relation(question: str) -> bool:
    """Does *question* speak of someone close to the user ("my sister", "my cat's name")?"""
    low = _normal(question)
    words = "|".join(re.escape(w) for ws in RELATIONS.values() for w in ws)
    return bool(re.search(rf"\bmy\s+(?:{words})(?:'s|s)?\b", low))


def is_question(question: str) -> bool:
    text = _normal(question)
    return bool(_QUESTION_START.match(text)) or question.rstrip().endswith("?")


def known_names(
    question: str, items: Sequence[RetrievedItem], attributes: Mapping[str, str]
) -> list[str]:
    """Capitalised words of *question* that the retrieved items or attributes also hold."""
    held = set(_WORD.findall(" ".join([*(i.text for i in items), *attributes.values()]).lower()))
    words = [w.removesuffix("'s") for w in _WORD.findall(question.replace("\u2019", "'"))[1:]]
    return [w for w in words if w[:1].isupper() and w not in _NOT_NAMES and w.lower() in held]


def route(
    question: str,
    items: Sequence[RetrievedItem],
    attributes: Mapping[str, str],
    *,
    forced: str | None = None,
    personalize: bool = True,
) -> Route:
    """Grounded or free, and why; a free request's references resolved into its question.
    Without *personalize* there is nothing to ground on: always free."""
    if forced is not None and forced not in MODES:
        raise ValueError(f"unknown mode {forced!r}")
    if not personalize:
        return Route(FREE, "personalisation off: the bare model answers", question, [],
                     forced is not None)  # fmt: skip
    resolved = resolve(question, items, attributes)
    prompt_question = rewrite(question, resolved)
    if forced == GROUNDED:
        return Route(GROUNDED, "asked for an answer quoted from the profile", question, [], True)
    if forced == FREE:
        return Route(FREE, "asked for a free answer", prompt_question, resolved, True)
    text = _normal(question)
    if is_request(question):
        reason = "a request: generated with your profile"
    elif not is_question(question):
        reason = "not a question about facts: generated with your profile"
    elif _FIRST_PERSON.search(text):
        return Route(GROUNDED, "a question about your own life: answered from your profile",
                     question)  # fmt: skip
    elif names := known_names(question, items, attributes):
        return Route(GROUNDED, f"a question about {names[0]}, whom your profile knows: "
                     "answered from your profile", question)  # fmt: skip
    else:
        reason = "a general question: generated with your profile"
    return Route(FREE, reason, prompt_question, resolved)


def resolve(
    question: str, items: Sequence[RetrievedItem], attributes: Mapping[str, str]
) -> list[Resolved]:
    """The people ("my brother") and the place ("near where I live") *question* refers to,
    with the name or place the retrieved items or the attributes give them."""
    found: list[Resolved] = []
    low = _normal(question)
    for relation, words in RELATIONS.items():
        for word in words:
            match = re.search(rf"\bmy\s+{word}(?:'s)?\b", low)
            if not match or any(match.group(0) in r.phrase for r in found):
                continue
            named = _name_of(relation, items)
            if named is not None and named[0].lower() not in low:
                found.append(Resolved(match.group(0), named[0], "person", "memory", str(named[1])))
            break
    home = _HOME_PHRASE.search(question)
    if home:
        place = _home(items, attributes)
        if place is not None and place[0].lower() not in low:
            found.append(Resolved(home.group(0), place[0], "place", place[1], place[2]))
    return found


def rewrite(question: str, resolved: Sequence[Resolved]) -> str:
    """*question* with each resolved reference followed by its name or place: "a note to my
    brother Felix", "near where I live (Vienna)"."""
    text = question
    for r in resolved:
        match = re.search(re.escape(r.phrase), text, re.IGNORECASE)
        if match is None:
            continue
        said = match.group(0)
        named = _named(said, r.value) if r.kind == "person" else f"{said} ({r.value})"
        text = text[: match.start()] + named + text[match.end() :]
    return text


def _named(phrase: str, name: str) -> str:
    """ "my sister" -> "my sister Lea"; "my sister's" -> "my sister Lea's"."""
    if phrase.endswith("'s"):
        return f"{phrase[:-2]} {name}'s"
    return f"{phrase} {name}"


def _name_of(relation: str, items: Sequence[RetrievedItem]) -> tuple[str, int] | None:
    """The name a retrieved item gives the user's *relation*, and that item's id."""
    for word in RELATIONS[relation]:
        w = re.escape(word)
        patterns = (
            rf"\bmy\s+{w}(?:'s\s+name\s+is|\s+is\s+called|\s+is\s+named|\s+named|\s+called|,)?"
            r"\s+([A-Z][\w'-]+)",
            rf"\b([A-Z][\w'-]+)\s+is\s+my\s+{w}\b",
        )
        for item in items:
            for pattern in patterns:
                for match in re.finditer(pattern, item.text, re.IGNORECASE):
                    name = match.group(1)
                    if name[:1].isupper() and name not in _NOT_NAMES:
                        return name, item.id
    return None


def _home(
    items: Sequence[RetrievedItem], attributes: Mapping[str, str]
) -> tuple[str, str, str] | None:
    for key in HOME_ATTRIBUTES:
        value = attributes.get(key, "").strip()
        if value:
            return value, "attribute", key
    for item in items:
        match = _LIVE_IN.search(item.text)
        if match:
            return match.group(1), "memory", str(item.id)
    return None


def _normal(question: str) -> str:
    return re.sub(r"\s+", " ", question.strip().lower().replace("\u2019", "'"))
