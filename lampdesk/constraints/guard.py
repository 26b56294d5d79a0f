"""The constraint guard: the one place answers meet the user's constraints.

For each answer it finds the constraints in the profile (cached per remembered statement),
adds one short positive sentence to the prompt, enforces them while the model writes (the
logits processor of :mod:`lampdesk.constraints.decoding`), checks the finished answer once
more (:mod:`lampdesk.constraints.matching`), and when something slipped through generates
once more with what was found banned, or else says so in a warning.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lampdesk.constraints import detect
from lampdesk.constraints.decoding import ConstraintProcessor, Tables, Vocabulary, build_tables
from lampdesk.constraints.lexicon import Lexicon, expand, fold, load
from lampdesk.constraints.matching import Checker, Violation, normalise
from lampdesk.errors import UsageError
from lampdesk.prompting.rules import Rule

if TYPE_CHECKING:
    from lampdesk.inference.engine import Engine, GenerationSettings, Message, StreamStats
    from lampdesk.profile import Profile

#: The profile setting that keeps the user's changes (JSON, see :func:`detect.build`).
OVERRIDES_SETTING = "constraints.overrides"
#: Shown between an answer that broke a constraint and the one generated instead.
REWRITE_NOTE = "\n\n[LampDesk rewrote this answer to keep to your constraints]\n\n"
#: Kinds of memory that are the user's own statements (not imported documents or chats).
STATEMENT_KINDS = ("fact",)
#: One vocabulary per model file and one set of tables per set of terms, for the process
#: (every profile and every evaluation's throwaway profile share them).
_VOCABULARIES: dict[str, Vocabulary] = {}
_TABLES: dict[tuple[str, frozenset[str], tuple[str, ...]], Tables] = {}
_SHARED_LOCK = threading.Lock()
#: A question about the constraints themselves ("What am I allergic to?"): the answer may
#: name them.
_ABOUT_CONSTRAINTS = re.compile(
    r"^\s*(?:(?:what|which)(?:\s+\w+)?\s+(?:am i|are my|is my|do i|did i)|am i|do i have|is my)"
    r"\b.*\b(?:allerg\w*|intoleran\w*|diet|avoid|can'?t|cannot)\b",
    re.IGNORECASE,
)


@dataclass
class Guarded:
    """What the guard did for one answer."""

    constraints: list[detect.Constraint]
    enforced: bool
    rewritten: bool = False
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fired_terms: list[str] = field(default_factory=list)
    note: str = ""

    def rule_terms_fired(self) -> list[str]:
        """Terms of the user's blocked-word rules that were kept out of this answer."""
        rule_terms = {t for c in self.constraints if c.kind == "rule" for t in c.terms}
        return list(dict.fromkeys(t for t in self.fired_terms if t in rule_terms))

    def as_json(self) -> list[dict[str, Any]]:
        out = []
        for c in self.constraints:
            fired = sorted({t for t in self.fired_terms if t in c.terms})
            out.append(
                {
                    "id": c.id,
                    "label": c.label,
                    "kind": c.kind,
                    "sources": c.sources,
                    "enabled": c.enabled,
                    "enforced": self.enforced and c.enabled,
                    "fired": c.fired,
                    "terms_kept_out": fired,
                    "excludes": len(c.terms),
                }
            )
        return out


def prompt_sentence(constraints: Sequence[detect.Constraint]) -> str:
    """One short positive sentence: "Suggest only plant-based food and drinks, without peanuts."."""
    only: list[str] = []
    without: list[str] = []
    for c in constraints:
        if not c.enabled or not c.prompt:
            continue
        how, _, what = c.prompt.partition(":")
        target = only if how == "only" else without
        if what and not any(what in t for t in target):
            target[:] = [t for t in target if t not in what] + [what]
    if not only and not without:
        return ""
    head = "Suggest only " + (" and ".join(only) + " " if only else "") + "food and drinks"
    if without:
        rest = ", ".join(without[:-1]) + (" or " if len(without) > 1 else "") + without[-1]
        head += ("," if only else "") + " without " + rest
    return head + "."


class ConstraintBook:
    """The user's constraints: found in the profile, with the user's changes (no model)."""

    def __init__(self, profile: Profile, lexicon: Lexicon | None = None) -> None:
        self.profile = profile
        self.lexicon = lexicon or load()
        self.detector = detect.Detector(self.lexicon)
        self._found: dict[tuple[int, str], list[detect.Found]] = {}

    # -- the user's constraints -----------------------------------------------------------------

    def overrides(self) -> dict[str, Any]:
        raw = self.profile.setting(OVERRIDES_SETTING)
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}

    def constraints(self) -> list[detect.Constraint]:
        """Every constraint found in the profile, with the user's changes (switched off too)."""
        found: list[detect.Found] = []
        for key, value in self.profile.attributes().items():
            found += self.detector.profile({key: value}, (), ())
        for memory_id, text in self.profile.statement_memories(STATEMENT_KINDS):
            cached = self._found.get((memory_id, text))
            if cached is None:
                cached = self.detector.statement(text, f"memory #{memory_id}: {text}")
                self._found[(memory_id, text)] = cached
            found += cached
        rules = [(r.id, r.text, r.blocked_terms) for r in self.profile.rules()]
        found += self.detector.profile({}, (), rules)
        return detect.build(self.lexicon, found, self.overrides())

    def _save(self, overrides: dict[str, Any]) -> None:
        self.profile.set_setting(OVERRIDES_SETTING, json.dumps(overrides, sort_keys=True))

    def switch(self, constraint_id: str, on: bool) -> detect.Constraint:
        known = {c.id: c for c in self.constraints()}
        overrides = self.overrides()
        added = dict(overrides.get("added", {}))
        if constraint_id not in known:
            raise UsageError(
                f"There is no constraint {constraint_id!r} (see: lampdesk constraint list)."
            )
        off = [i for i in overrides.get("off", []) if i != constraint_id]
        if not on and constraint_id in added:
            del added[constraint_id]  # one the user made: removed, not kept switched off
            terms = dict(overrides.get("terms", {}))
            terms.pop(constraint_id, None)
            overrides["terms"] = terms
        elif not on:
            off.append(constraint_id)
        overrides["off"], overrides["added"] = off, added
        self._save(overrides)
        return known[constraint_id]

    def add_terms(self, constraint_id: str, terms: Sequence[str]) -> detect.Constraint:
        """Add *terms* to a constraint; an id that is not one yet becomes the user's own."""
        clean = [fold(t) for t in terms if fold(t)]
        if not clean:
            raise UsageError("Name at least one thing to keep out of answers.")
        cid = fold(constraint_id).replace(" ", "_")
        if not cid:
            raise UsageError("A constraint needs a name.")
        overrides = self.overrides()
        known = {c.id for c in self.constraints()}
        if cid not in known:
            overrides.setdefault("added", {})[cid] = constraint_id.strip()
        words = overrides.setdefault("terms", {})
        words[cid] = list(dict.fromkeys([*words.get(cid, []), *clean]))
        allowed = overrides.setdefault("allowed", {})
        if cid in allowed:
            allowed[cid] = [t for t in allowed[cid] if t not in clean]
        self._save(overrides)
        return next(c for c in self.constraints() if c.id == cid)

    def remove_terms(self, constraint_id: str, terms: Sequence[str]) -> detect.Constraint:
        """Stop keeping *terms* out for this constraint (added ones are dropped, the lexicon's
        are allowed from now on)."""
        known = {c.id: c for c in self.constraints()}
        if constraint_id not in known:
            raise UsageError(
                f"There is no constraint {constraint_id!r} (see: lampdesk constraint list)."
            )
        clean = set(expand([fold(t) for t in terms if fold(t)]))
        overrides = self.overrides()
        words = overrides.setdefault("terms", {})
        words[constraint_id] = [t for t in words.get(constraint_id, []) if fold(t) not in clean]
        allowed = overrides.setdefault("allowed", {})
        lexicon_terms = set(known[constraint_id].terms) - set(expand(words[constraint_id]))
        allowed[constraint_id] = sorted(
            set(allowed.get(constraint_id, [])) | (clean & lexicon_terms)
        )
        self._save(overrides)
        return next(c for c in self.constraints() if c.id == constraint_id)


class ConstraintGuard(ConstraintBook):
    """The constraints applied to answers: in the prompt, while decoding, and at the end."""

    def __init__(self, profile: Profile, engine: Engine, lexicon: Lexicon | None = None) -> None:
        super().__init__(profile, lexicon)
        self.engine = engine
        #: Off only to measure what enforcement costs (``bench inference``).
        self.enforce = True

    def warm_up(self) -> None:
        """Build, once per model, what enforcing needs (the vocabulary's token tables, and
        the tables for the constraints the profile holds now), so the first enforced answer
        does not pay for it (for a worker, at model load, before the first question)."""
        if not self.enforce:
            return
        active = [c for c in self.constraints() if c.enabled]
        if active:
            self.tables(active)
        else:
            self.vocabulary()

    def prepare(self, question: str, personalize: bool) -> tuple[Guarded, Rule | None]:
        """The constraints for this answer and the prompt's sentence for them (as a rule)."""
        constraints = self.constraints() if personalize else []
        active = [c for c in constraints if c.enabled]
        about = bool(_ABOUT_CONSTRAINTS.search(question.replace("\u2019", "'")))
        guarded = Guarded(constraints, enforced=self.enforce and bool(active) and not about)
        if about and active:
            guarded.note = "The question is about your constraints: they were not enforced."
        sentence = prompt_sentence(active)
        if guarded.enforced and self.engine.model_name not in _VOCABULARIES:
            # Read the vocabulary on the model's thread while retrieval runs.
            threading.Thread(
                target=self.vocabulary, name="constraint-vocabulary", daemon=True
            ).start()
        return guarded, (Rule(0, sentence) if sentence else None)

    def allows(self, guarded: Guarded, text: str) -> bool:
        """Does *text* (an answer not generated through :meth:`generate`, such as a grounded
        quote) keep to the enforced constraints?"""
        if not guarded.enforced:
            return True
        active = [c for c in guarded.constraints if c.enabled]
        return not Checker(active, self.lexicon.grammar).violations(text)

    def generate(
        self,
        guarded: Guarded,
        messages: Sequence[Message],
        settings: GenerationSettings,
        cancel: threading.Event,
        stats: StreamStats,
        emit: Callable[[str], None],
        restart: Callable[[], None],
    ) -> None:
        """Stream the answer through *emit*; on a violation found at the end, *restart* (the
        caller forgets what was emitted) and stream a second answer with it banned."""
        active = [c for c in guarded.constraints if c.enabled]
        if not guarded.enforced:
            for chunk in self.engine.stream(messages, settings, cancel, stats):
                emit(chunk)
            return
        text = self._stream(guarded, active, (), messages, settings, cancel, stats, emit)
        if stats.stopped_by == "cancel":
            return
        checker = Checker(active, self.lexicon.grammar)
        found = checker.violations(text)
        if not found:
            return
        guarded.violations = found
        self._fired(guarded, [v.term for v in found])
        banned = tuple({normalise(v.said) for v in found} | {v.term for v in found})
        restart()
        again = type(stats)()
        text = self._stream(guarded, active, banned, messages, settings, cancel, again, emit)
        stats.tokens += again.tokens
        stats.generation_s += again.generation_s
        stats.stopped_by = again.stopped_by
        guarded.rewritten = True
        left = checker.violations(text)
        if left:
            guarded.violations += left
            said = ", ".join(dict.fromkeys(v.said for v in left))
            labels = ", ".join(
                dict.fromkeys(c.label for c in active for v in left if v.constraint == c.id)
            )
            guarded.warnings.append(
                f"This answer mentions {said}, which your constraints exclude ({labels}): "
                "LampDesk could not keep it out. Check before you follow it."
            )

    def _stream(
        self,
        guarded: Guarded,
        active: Sequence[detect.Constraint],
        banned: tuple[str, ...],
        messages: Sequence[Message],
        settings: GenerationSettings,
        cancel: threading.Event,
        stats: StreamStats,
        emit: Callable[[str], None],
    ) -> str:
        tables = self.tables(active, banned)
        processor = ConstraintProcessor(tables, self.lexicon.grammar)
        parts: list[str] = []
        for chunk in self.engine.stream(
            messages, settings, cancel, stats, logits_processor=processor
        ):
            parts.append(chunk)
            emit(chunk)
        self._fired(guarded, processor.fired)
        return "".join(parts)

    def _fired(self, guarded: Guarded, terms: Sequence[str]) -> None:
        for term in terms:
            guarded.fired_terms.append(term)
            for c in guarded.constraints:
                if c.enabled and term in c.terms:
                    c.fired = True

    def vocabulary(self) -> Vocabulary:
        with _SHARED_LOCK:
            name = self.engine.model_name
            if name not in _VOCABULARIES:
                _VOCABULARIES[name] = Vocabulary(self.engine.token_pieces())
            return _VOCABULARIES[name]

    def tables(self, active: Sequence[detect.Constraint], banned: Sequence[str] = ()) -> Tables:
        terms = frozenset(t for c in active for t in c.terms) | frozenset(banned)
        unless = tuple(sorted({w for c in active for w in c.unless}))
        vocabulary = self.vocabulary()
        key = (self.engine.model_name, terms, unless)
        with _SHARED_LOCK:
            tables = _TABLES.get(key)
        if tables is None:
            tables = build_tables(vocabulary, terms, unless, self.lexicon.grammar)
            with _SHARED_LOCK:
                if len(_TABLES) > 16:
                    _TABLES.clear()
                _TABLES[key] = tables
        return tables
