"""Prompt templates: segments with ``{variables}``, validated before use."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from lampdesk.errors import UsageError

VARIABLES = frozenset({"user_name", "attributes", "interests", "tone", "rules", "items"})
#: Every segment a template may have, in prompt order; "rules" has a default.
SEGMENTS = ("persona", "rules", "profile", "items", "generic")
#: The profile setting that holds a user's own template (TOML text).
TEMPLATE_SETTING = "template"
DEFAULT_RULES_SEGMENT = "Rules you must always follow:\n{rules}"


@dataclass(frozen=True)
class Template:
    name: str
    segments: Mapping[str, str]
    #: Few-shot examples: (user, assistant) pairs shown before the question.
    examples: tuple[tuple[str, str], ...] = ()

    def render(self, segment: str, values: Mapping[str, str]) -> str:
        return self.segments[segment].format_map(values).strip()


def variables_in(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def parse_template(text: str, origin: str) -> Template:
    """Read a TOML template; an unknown variable or segment is a clear error naming it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The template {origin} is not valid TOML: {exc}") from exc
    segments = data.get("segments")
    if not isinstance(segments, dict):
        raise UsageError(f"The template {origin} has no [segments] table.")
    unknown_segments = set(segments) - set(SEGMENTS)
    if unknown_segments:
        raise UsageError(
            f"The template {origin} has an unknown segment {sorted(unknown_segments)[0]!r}; "
            f"known segments: {', '.join(SEGMENTS)}."
        )
    segments = {"rules": DEFAULT_RULES_SEGMENT, **segments}
    missing = [s for s in SEGMENTS if not isinstance(segments.get(s), str)]
    if missing:
        raise UsageError(f"The template {origin} lacks the segment {missing[0]!r}.")
    for segment, body in segments.items():
        try:
            used = variables_in(body)
        except ValueError as exc:
            raise UsageError(f"Segment {segment!r} of {origin}: {exc}") from exc
        unknown = used - VARIABLES
        if unknown:
            name = sorted(unknown)[0]
            raise UsageError(
                f"Segment {segment!r} of {origin} uses the unknown variable {{{name}}}; "
                f"known variables: {', '.join('{' + v + '}' for v in sorted(VARIABLES))}."
            )
    examples = []
    for number, example in enumerate(data.get("examples", []), start=1):
        if not (
            isinstance(example, dict)
            and isinstance(example.get("user"), str)
            and isinstance(example.get("assistant"), str)
        ):
            raise UsageError(
                f"Example {number} of {origin} needs a 'user' and an 'assistant' text."
            )
        for text in (example["user"], example["assistant"]):
            unknown = variables_in(text) - VARIABLES
            if unknown:
                raise UsageError(
                    f"Example {number} of {origin} uses the unknown variable "
                    f"{{{sorted(unknown)[0]}}}."
                )
        examples.append((example["user"], example["assistant"]))
    return Template(str(data.get("name", origin)), dict(segments), tuple(examples))


def default_template_text() -> str:
    """The default template's TOML, as shipped in resources/templates."""
    return template_text("default")


def template_text(name: str) -> str:
    """A shipped template's TOML (resources/templates/NAME.toml)."""
    path = resources.files("lampdesk.resources").joinpath(f"templates/{name}.toml")
    if not path.is_file():
        raise UsageError(f"There is no template named {name!r}.")
    return path.read_text(encoding="utf-8")


def named_template(name: str) -> Template:
    return parse_template(template_text(name), f"{name}.toml")


def default_template() -> Template:
    return named_template("default")
