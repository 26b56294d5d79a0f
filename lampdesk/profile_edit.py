"""The profile editor's two operations, apart from any screen: read the editable state of a
profile, and apply a set of changes all together or not at all (nothing is written when any
change is refused; the messages say which and why)."""

from __future__ import annotations

from typing import Any

from lampdesk import settings
from lampdesk.constraints.guard import ConstraintBook
from lampdesk.errors import UsageError
from lampdesk.profile import Profile, parse_attribute
from lampdesk.prompting.templates import TEMPLATE_SETTING, default_template_text, parse_template


def profile_state(profile: Profile) -> dict[str, Any]:
    return {
        "attributes": profile.attributes(),
        "rules": [
            {"id": r.id, "text": r.text, "blocked_terms": list(r.blocked_terms)}
            for r in profile.rules()
        ],
        "template": profile.setting(TEMPLATE_SETTING) or default_template_text(),
        "default_template": default_template_text(),
        "memory": settings.memory_state(profile.setting),
        "constraints": [c.as_json() for c in ConstraintBook(profile).constraints()],
    }


def apply_changes(profile: Profile, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate every change, then write them in one transaction. Returns the new state with
    ``saved``, or ``{"errors": {"attributes"|"template"|"memory": message}}``."""
    errors: dict[str, str] = {}
    attributes: list[tuple[str, str]] = []
    for key, value in changes.get("attributes", []):
        try:
            attributes.append(parse_attribute(f"{key}={value}"))
        except UsageError as exc:
            errors["attributes"] = str(exc)
            break
    template = changes.get("template")
    if template is not None and template.strip() != default_template_text().strip():
        try:
            parse_template(template, "being edited")
        except UsageError as exc:
            errors["template"] = str(exc)
    memory = changes.get("memory", {})
    for key, value in memory.items():
        try:
            settings.check(settings.MEMORY_PREFIX + key, value)
        except UsageError:
            errors["memory"] = f"Unknown memory setting {key}={value}."
    if errors:
        return {"errors": errors}
    with profile.store.transaction():
        keep = {key for key, _ in attributes}
        profile.unset_attributes([k for k in profile.attributes() if k not in keep])
        profile.set_attributes(attributes)
        for rule_id in changes.get("rules_remove", []):
            profile.remove_rule(int(rule_id))
        for rule in changes.get("rules_add", []):
            profile.add_rule(rule["text"], rule["blocked_terms"])
        if template is not None:
            same = template.strip() == default_template_text().strip()
            profile.set_setting(TEMPLATE_SETTING, None if same else template)
        for key, value in memory.items():
            profile.set_setting(settings.MEMORY_PREFIX + key, value)
        _apply_constraints(profile, changes.get("constraints", {}))
    return {**profile_state(profile), "saved": True}


def _apply_constraints(profile: Profile, changes: dict[str, Any]) -> None:
    """``{"off": [id], "on": [id], "terms": {id: [word]}}`` (after the attributes and rules
    changed, so a constraint found in a new attribute can be changed at once)."""
    book = ConstraintBook(profile)
    for constraint_id, terms in changes.get("terms", {}).items():
        if terms:
            book.add_terms(constraint_id, terms)
    for constraint_id in changes.get("off", []):
        book.switch(constraint_id, on=False)
    for constraint_id in changes.get("on", []):
        book.switch(constraint_id, on=True)
