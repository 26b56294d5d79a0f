"""Every setting a profile stores, in one table: its key, type, default and check.

The CLI, the window and the API change a profile's settings only through
:class:`lampdesk.sessions.Session`, which checks each value here before it is stored, so a value
refused in one front end is refused in all of them, with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from lampdesk.constraints.guard import OVERRIDES_SETTING
from lampdesk.errors import UsageError
from lampdesk.inference.engine import GenerationSettings
from lampdesk.memory.learner import MEMORY_SETTINGS
from lampdesk.prompting.templates import (
    TEMPLATE_SETTING,
    VARIABLES,
    parse_template,
    variables_in,
)

#: Tokens of retrieved profile items put in each prompt (a profile may choose its own).
RETRIEVAL_BUDGET_TOKENS = 512
RETRIEVAL_BUDGET_SETTING = "retrieval.budget"
#: The profile's own system prompt (persona): it replaces the template's persona segment.
PERSONA_SETTING = "persona"
MAX_PERSONA_CHARS = 4000
GENERATION_PREFIX = "gen."
MEMORY_PREFIX = "memory."


def check_persona(text: str) -> str:
    """*text* as a persona segment, or a :class:`UsageError` naming what is wrong with it."""
    text = text.strip()
    if len(text) > MAX_PERSONA_CHARS:
        raise UsageError(f"The system prompt is too long: at most {MAX_PERSONA_CHARS} characters.")
    try:
        unknown = variables_in(text) - VARIABLES
    except ValueError as exc:
        raise UsageError(
            f"The system prompt has a stray brace ({exc}): write {{{{ or }}}} for a brace."
        ) from None
    if unknown:
        known = ", ".join("{" + v + "}" for v in sorted(VARIABLES))
        raise UsageError(
            f"The system prompt uses the unknown variable {{{sorted(unknown)[0]}}}; known: {known}."
        )
    return text


def _template(text: str) -> str:
    parse_template(text, "the profile's template")  # refuse a bad template before storing it
    return text


def _budget(text: str) -> str:
    try:
        tokens = int(text)
    except ValueError:
        raise UsageError(f"The retrieval budget is a number of tokens, not {text!r}.") from None
    if tokens < 0:
        raise UsageError("The retrieval budget cannot be negative.")
    return str(tokens)


def _json_object(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise UsageError("The constraint overrides are a JSON object.")
    return text


def _on_off(short: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in ("on", "off"):
            raise UsageError(f"{short} is 'on' or 'off', not {text!r}.")
        return text

    return check


def _generation(short: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        GenerationSettings().updated({short: text})  # names a bad value the same way everywhere
        return text

    return check


@dataclass(frozen=True)
class Setting:
    """One stored setting: *check* returns the text to store or raises :class:`UsageError`."""

    key: str
    kind: type
    default: str
    check: Callable[[str], str]
    about: str


def _table() -> dict[str, Setting]:
    defaults = GenerationSettings()
    table = [
        Setting(TEMPLATE_SETTING, str, "", _template, "the prompt template (empty: the default)"),
        Setting(PERSONA_SETTING, str, "", check_persona, "the system prompt (persona)"),
        Setting(
            RETRIEVAL_BUDGET_SETTING,
            int,
            str(RETRIEVAL_BUDGET_TOKENS),
            _budget,
            "tokens of remembered items in each prompt",
        ),
        Setting(
            OVERRIDES_SETTING,
            dict,
            "{}",
            _json_object,
            "constraints switched off or given more terms (kept by the constraint book)",
        ),
    ]
    for field in fields(GenerationSettings):
        kind = type(getattr(defaults, field.name))
        table.append(
            Setting(
                GENERATION_PREFIX + field.name,
                kind,
                str(getattr(defaults, field.name)),
                _generation(field.name),
                "how answers are generated",
            )
        )
    for key, default in MEMORY_SETTINGS.items():
        short = key.removeprefix(MEMORY_PREFIX)
        table.append(Setting(key, bool, default, _on_off(short), "what is learned and how"))
    return {setting.key: setting for setting in table}


SETTINGS: dict[str, Setting] = _table()
#: How an unknown key of each group is named in a message.
_GROUPS = {GENERATION_PREFIX: "generation", MEMORY_PREFIX: "memory"}


def group(prefix: str) -> list[str]:
    """The keys starting with *prefix*, in table order."""
    return [key for key in SETTINGS if key.startswith(prefix)]


def check(key: str, value: str) -> str:
    """*value* checked for *key*: the text to store, or a :class:`UsageError` saying why not."""
    setting = SETTINGS.get(key)
    if setting is None:
        prefix = next((p for p in _GROUPS if key.startswith(p)), "")
        known = ", ".join(k.removeprefix(prefix) for k in group(prefix)) if prefix else ""
        what = _GROUPS.get(prefix, "")
        raise UsageError(
            f"Unknown {what} setting {key.removeprefix(prefix)!r}; known: {known}."
            if prefix
            else f"Unknown setting {key!r}."
        )
    return setting.check(value)


def check_all(prefix: str, values: Mapping[str, str]) -> dict[str, str]:
    """Every ``short: value`` of *values* checked as ``prefix + short``, before any is stored."""
    return {prefix + short: check(prefix + short, value) for short, value in values.items()}


def memory_state(stored: Callable[[str], str | None]) -> dict[str, str]:
    """``{short name: "on"|"off"}`` of each memory setting, given the profile's ``setting``."""
    return {
        key.removeprefix(MEMORY_PREFIX): stored(key) or SETTINGS[key].default
        for key in group(MEMORY_PREFIX)
    }
