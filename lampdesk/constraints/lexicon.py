"""The constraint lexicon: data in ``resources/constraints/<language>.toml`` (see its header)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lampdesk.errors import UsageError

FORMAT = "lampdesk-constraints/1"


@dataclass(frozen=True)
class Spec:
    """One kind of constraint as the lexicon describes it."""

    id: str
    label: str
    kind: str
    prompt: str
    triggers: tuple[str, ...]
    aliases: tuple[str, ...]
    excludes: tuple[str, ...]
    unless: tuple[str, ...]


@dataclass(frozen=True)
class Grammar:
    negations: tuple[str, ...]
    free_suffixes: tuple[str, ...]
    no_longer: tuple[str, ...]
    no_longer_after: tuple[str, ...]
    others: tuple[str, ...]
    exclusion_verbs: tuple[str, ...]
    exclusion_after: tuple[str, ...]
    literal_verbs: tuple[str, ...]
    attribute_keys: tuple[str, ...]
    excluding_keys: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    language: str
    grammar: Grammar
    specs: dict[str, Spec]

    def alias_index(self) -> dict[str, str]:
        """Every alias (folded) -> the constraint it names; the first spec wins."""
        index: dict[str, str] = {}
        for spec in self.specs.values():
            for alias in spec.aliases:
                index.setdefault(fold(alias), spec.id)
        return index


def fold(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def plurals(term: str) -> list[str]:
    """*term* and its plural (English rules on the last word), singular first."""
    if not term or not term[-1].isalpha():
        return [term]
    head, _, last = term.rpartition(" ")
    prefix = f"{head} " if head else ""
    if last.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es" if not last.endswith("s") or len(last) < 4 else last
    elif last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    elif last.endswith("o") and len(last) > 2 and last[-2] not in "aeiou":
        plural = last + "es"
    else:
        plural = last + "s"
    forms = [term]
    if prefix + plural != term:
        forms.append(prefix + plural)
    if last.endswith("o") and prefix + last + "s" not in forms:
        forms.append(prefix + last + "s")
    return forms


def expand(terms: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Terms with their plurals, folded, without repeats, in order."""
    seen: dict[str, None] = {}
    for term in terms:
        for form in plurals(fold(term)):
            if form:
                seen.setdefault(form, None)
    return tuple(seen)


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise UsageError(f"The constraint lexicon's {where} must be a list of strings.")
    return tuple(raw)


def _resolve(items: tuple[str, ...], groups: dict[str, Any], seen: frozenset[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item.startswith("@"):
            name = item[1:]
            if name in seen or name not in groups:
                raise UsageError(f"The constraint lexicon has a bad group reference {item!r}.")
            out.extend(_resolve(_strings(groups[name], f"group {name}"), groups, seen | {name}))
        else:
            out.append(item)
    return out


def parse(text: str, name: str = "lexicon") -> Lexicon:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"The constraint lexicon {name} is not valid TOML: {exc}") from exc
    if data.get("format") != FORMAT:
        raise UsageError(f"The constraint lexicon {name} is not in the format {FORMAT}.")
    raw_grammar = data.get("grammar", {})
    grammar = Grammar(
        **{
            field: tuple(fold(s) for s in _strings(raw_grammar.get(field), f"grammar.{field}"))
            for field in Grammar.__dataclass_fields__
        }
    )
    # Suffixes keep their leading space or hyphen: fold() would strip the space.
    grammar = Grammar(
        **{
            **grammar.__dict__,
            "free_suffixes": tuple(
                s.lower() for s in _strings(raw_grammar.get("free_suffixes"), "free_suffixes")
            ),
        }
    )
    groups = data.get("groups", {})
    specs: dict[str, Spec] = {}
    for spec_id, raw in data.get("constraints", {}).items():
        where = f"constraints.{spec_id}"
        specs[spec_id] = Spec(
            id=spec_id,
            label=str(raw.get("label", spec_id)),
            kind=str(raw.get("kind", "exclusion")),
            prompt=str(raw.get("prompt", "")),
            triggers=tuple(fold(t) for t in _strings(raw.get("triggers"), f"{where}.triggers")),
            aliases=tuple(fold(t) for t in _strings(raw.get("aliases"), f"{where}.aliases")),
            excludes=expand(
                _resolve(_strings(raw.get("excludes"), f"{where}.excludes"), groups, frozenset())
            ),
            unless=tuple(fold(t) for t in _strings(raw.get("unless"), f"{where}.unless")),
        )
    return Lexicon(str(data.get("language", "en")), grammar, specs)


@cache
def load(language: str = "en") -> Lexicon:
    """The lexicon shipped for *language* (English when there is none for it)."""
    folder = resources.files("lampdesk.resources").joinpath("constraints")
    path = folder.joinpath(f"{language}.toml")
    if not path.is_file():
        path = folder.joinpath("en.toml")
    return parse(path.read_text(encoding="utf-8"), path.name)
