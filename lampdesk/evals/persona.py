"""``lampdesk eval persona``: do default answers respect and use what the profile says?

Personas (format ``lampdesk-personas/1``: attributes, remembered statements, questions) are read
at run time. Each becomes a throwaway profile built the way a user's is: the attributes set as
``profile set`` sets them, each statement told as ``remember`` tells it, the profile opened by the
same code as the app's. Every question is asked as a user asks it (the default path, the
profile's generation settings), personalised and bare. The persona's ``check`` field is gold data
for scoring only; nothing of it reaches the profile.

- ``violation_rate``: food questions whose answer names a forbidden term not negated nearby
  ("no cheese", "dairy-free" are fine);
- ``fact_accuracy``: fact questions whose answer contains the expected word;
- ``fact_use_rate``: open requests whose answer contains one of the expected words.
"""

from __future__ import annotations

import re
import secrets
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lampdesk.app import LampDesk
from lampdesk.errors import UsageError
from lampdesk.evals import progress
from lampdesk.evals.datafiles import documents
from lampdesk.inference.engine import Engine
from lampdesk.memory.learner import MEMORY_ENABLED
from lampdesk.paths import DataPaths
from lampdesk.retrieval.dense import Embedder
from lampdesk.vault.keys import KeyMode

FORMAT = "lampdesk-personas/1"
KINDS = ("food", "fact", "uses")
#: Words before a term (within this many) that negate it: "no", "without", "instead of"...
NEGATION_WINDOW = 3
_NEGATION = re.compile(
    r"\b(?:no|not|without|avoid|avoiding|skip|skipping|instead\s+of|free\s+of|never|"
    r"nor|zero|non|minus|exclude|excluding|replace|replacing)\b|n't\b",
    re.IGNORECASE,
)


def read_personas(data_dir: Path) -> list[dict[str, Any]]:
    """Every persona in the ``*.json`` files of *data_dir* (format ``lampdesk-personas/1``)."""
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir} is not a folder of persona .json files.")
    personas: list[dict[str, Any]] = []
    for data in documents(sorted(data_dir.glob("*.json")), FORMAT):
        for persona in data.get("personas", []):
            if isinstance(persona, dict) and isinstance(persona.get("questions"), list):
                personas.append(persona)
    if not personas:
        raise UsageError(f"{data_dir} holds no personas in the {FORMAT} format.")
    return personas


def violations(answer: str, forbidden: Sequence[str]) -> list[str]:
    """The *forbidden* terms *answer* names without a negation just before them or a "-free"
    just after ("peanut-free", "no peanuts", "without cheese" are not violations)."""
    found = []
    for term in forbidden:
        pattern = re.compile(rf"\b{re.escape(term)}(?:e?s)?\b", re.IGNORECASE)
        for match in pattern.finditer(answer):
            after = answer[match.end() : match.end() + 6].lower()
            if re.match(r"[-\s]?free\b", after):
                continue
            before = re.findall(r"[\w']+", answer[: match.start()])[-NEGATION_WINDOW:]
            if any(_NEGATION.search(word) for word in before):
                continue
            found.append(term)
            break
    return found


def contains(answer: str, words: Sequence[str]) -> bool:
    low = answer.lower()
    return any(str(w).lower() in low for w in words)


def evaluate(
    data_dir: Path,
    *,
    engine: Engine,
    embedder: Embedder | None = None,
    max_tokens: int | None = None,
) -> dict[str, Any]:
    """Every persona of *data_dir*, asked personalised and bare; *max_tokens* is set in each
    throwaway profile as a user sets it (``settings set max_tokens=N``), else its default."""
    personas = read_personas(data_dir)
    embedder = embedder or Embedder()
    total = sum(len(p["questions"]) for p in personas)
    done = 0
    rows: list[dict[str, Any]] = []
    per_persona: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lampdesk-persona-") as tmp:
        passphrase = secrets.token_urlsafe(16)
        app = LampDesk(
            DataPaths(Path(tmp)),
            prompt=lambda _what, _confirm: passphrase,
            engine=engine,
            embedder=embedder,
        )
        for number, persona in enumerate(personas):
            name = f"persona-{number}"
            _entry, store = app.vault.create(name, KeyMode.PASSPHRASE)
            store.close()
            session = app.open(name, create=False)
            try:
                attributes = persona.get("attributes") or {}
                session.profile.set_attributes(
                    (str(k).strip().lower(), str(v).strip()) for k, v in attributes.items()
                )
                for statement in persona.get("memories") or []:
                    session.assistant.remember(str(statement))
                session.profile.set_setting(MEMORY_ENABLED, "off")  # questions teach nothing
                if max_tokens is not None:
                    session.profile.set_setting("gen.max_tokens", str(max_tokens))
                session.assistant.index()
                forbidden = [str(t) for t in (persona.get("check") or {}).get("forbidden", [])]
                mine: list[dict[str, Any]] = []
                for question in persona["questions"]:
                    kind = str(question.get("kind", ""))
                    if kind not in KINDS:
                        continue
                    row: dict[str, Any] = {"persona": persona.get("id", name), "kind": kind,
                                           "question": question["q"]}  # fmt: skip
                    for personalize in (True, False):
                        result = session.assistant.ask(
                            str(question["q"]), personalize=personalize, learn=False
                        )
                        key = "personalized" if personalize else "bare"
                        row[key] = result.answer
                        row[f"ttft_ms_{key}"] = result.ttft_ms or result.total_ms
                        if personalize:
                            row["mode"] = result.mode
                        if kind == "food":
                            bad = violations(result.answer, forbidden)
                            row[f"violations_{key}"] = bad
                            row[f"ok_{key}"] = not bad
                        elif kind == "fact":
                            row[f"ok_{key}"] = contains(result.answer, [question["answer"]])
                        else:
                            row[f"ok_{key}"] = contains(result.answer, question["expect"])
                    done += 1
                    progress.note(
                        f"eval persona: {row['persona']} {kind} {row['question'][:50]!r} "
                        f"-> {row['ok_personalized']} (bare {row['ok_bare']})",
                        done,
                        total,
                    )
                    mine.append(row)
                rows += mine
                per_persona.append({"id": persona.get("id", name), **_figures(mine)})
            finally:
                session.close()
    return {
        **_figures(rows),
        "personas": per_persona,
        "questions": len(rows),
        "model": engine.model_name,
        "answers": rows,
    }


def _figures(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in ("personalized", "bare"):
        food = [r for r in rows if r["kind"] == "food"]
        fact = [r for r in rows if r["kind"] == "fact"]
        uses = [r for r in rows if r["kind"] == "uses"]
        ttft = [float(r[f"ttft_ms_{key}"]) for r in rows]
        result[key] = {
            "violation_rate": _rate([not r[f"ok_{key}"] for r in food]),
            "fact_accuracy": _rate([r[f"ok_{key}"] for r in fact]),
            "fact_use_rate": _rate([r[f"ok_{key}"] for r in uses]),
            "food_questions": len(food),
            "fact_questions": len(fact),
            "uses_questions": len(uses),
            "ttft_ms_median": round(statistics.median(ttft), 1) if ttft else None,
        }
    return result


def _rate(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    print(f"{result['questions']} questions, model {result['model']}", file=out)
    header = f"{'':<14}{'violation':>10}{'fact acc':>10}{'fact use':>10}{'ttft ms':>10}"
    print(header, file=out)

    def line(label: str, figures: dict[str, Any]) -> str:
        def shown(v: float | None) -> str:
            return "-" if v is None else f"{v:.2f}"

        return (
            f"{label:<14}{shown(figures['violation_rate']):>10}"
            f"{shown(figures['fact_accuracy']):>10}{shown(figures['fact_use_rate']):>10}"
            f"{figures['ttft_ms_median'] or 0:>10.0f}"
        )

    print(line("personalised", result["personalized"]), file=out)
    print(line("bare", result["bare"]), file=out)
    for persona in result["personas"]:
        print(line(f"  {persona['id']}"[:14], persona["personalized"]), file=out)
