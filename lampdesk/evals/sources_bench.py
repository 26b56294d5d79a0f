"""``lampdesk bench sources``: import a generated folder of Markdown notes, timed.

Generates *files* notes (about 5 KB each: a title, sections, paragraphs, a list) in a temporary
folder, adds the folder as a source of a throwaway profile (real SQLCipher store, real Chroma
index, the real embedder), and times the three stages: reading (parse and chunk), storing (one
transaction, FTS included) and indexing (embedding and Chroma). Then it asks a question about a
fact written in one note only and checks that the note's item comes back first.
"""

from __future__ import annotations

import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.prompting.items import for_model
from lampdesk.retrieval.dense import DenseIndex, Embedder
from lampdesk.retrieval.retriever import Retriever
from lampdesk.sources.book import SourceBook
from lampdesk.sources.importer import SourceImporter
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault

TARGET_SECONDS = 60.0
_TOPICS = [
    "garden", "budget", "reading list", "running", "kitchen", "travel", "meetings", "health",
    "music", "car", "taxes", "birthday", "recipes", "language course", "photography", "house",
]  # fmt: skip
_WORDS = [
    "plan",
    "note",
    "idea",
    "week",
    "morning",
    "evening",
    "call",
    "list",
    "review",
    "draft",
    "follow",
    "check",
    "order",
    "book",
    "call",
    "email",
    "project",
    "team",
    "friend",
    "family",
    "weekend",
    "trip",
    "store",
    "price",
    "time",
    "list",
    "change",
    "update",
    "question",
    "answer",
    "reason",
    "detail",
    "result",
    "step",
    "start",
    "finish",
    "move",
    "buy",
    "sell",
    "cook",
    "clean",
    "write",
    "read",
]
_CITIES = ["Lisbon", "Porto", "Ghent", "Tartu", "Bergen", "Kraków", "Ljubljana", "Valencia"]
_THINGS = ["telescope", "kayak", "violin", "sourdough", "bonsai", "typewriter", "sailboat", "kiln"]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(8, 16))
    return " ".join(words).capitalize() + "."


def _fact(number: int) -> tuple[str, str]:
    """A fact only note *number* holds, and a question about it."""
    thing = _THINGS[number % len(_THINGS)]
    city = _CITIES[(number // len(_THINGS)) % len(_CITIES)]
    code = f"K{number:04d}"
    return (
        f"The {thing} with serial {code} was repaired by a workshop in {city} for 140 euros.",
        f"Where was the {thing} with serial {code} repaired?",
    )


def write_notes(folder: Path, files: int, seed: int = 7) -> int:
    """Write *files* Markdown notes (about 5 KB each); returns the bytes written."""
    rng = random.Random(seed)
    total = 0
    for number in range(files):
        topic = _TOPICS[number % len(_TOPICS)]
        lines = [f"# Notes on {topic} {number}", ""]
        for section in range(4):
            lines += [f"## Part {section + 1}", ""]
            for _ in range(2):
                lines += [" ".join(_sentence(rng) for _ in range(8)), ""]
            if section == 2:
                lines += [f"- {_sentence(rng)}" for _ in range(3)] + [""]
        lines += ["## Repairs", "", _fact(number)[0], ""]
        text = "\n".join(lines)
        sub = folder / f"{topic.replace(' ', '-')}"
        sub.mkdir(exist_ok=True)
        (sub / f"note-{number:04d}.md").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


def run(
    files: int = 1000,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lampdesk-bench-sources-") as tmp:
        notes = Path(tmp) / "notes"
        notes.mkdir()
        size = write_notes(notes, files)
        paths = DataPaths(Path(tmp) / "data")
        passphrase = secrets.token_urlsafe(16)
        vault = Vault(paths, prompt=lambda _what, _confirm: passphrase)
        entry, store = vault.create("bench-sources", KeyMode.PASSPHRASE)
        embedder = embedder or Embedder()
        embedder.load()  # the model's load is not the import's cost
        stages: dict[str, float] = {}
        marks: dict[str, float] = {}

        def timed(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            marks.setdefault(stage, now)
            stages[stage] = now - marks[stage]
            if progress is not None:
                progress(stage, done, total)

        with store:
            profile = Profile(store)
            retriever = Retriever(
                profile,
                DenseIndex(paths.index_dir(entry.id)),
                embedder,
                provenance=SourceBook(store).provenance,
            )
            importer = SourceImporter(profile, retriever)
            started = time.perf_counter()
            plan = importer.preview("folder", notes, progress=timed)
            report = importer.apply(plan, progress=timed)
            elapsed = time.perf_counter() - started
            target = files // 2
            _, question = _fact(target)
            asked = time.perf_counter()
            hits = retriever.search(question, limit=3, render=for_model)
            question_ms = (time.perf_counter() - asked) * 1000
            expected = f"note-{target:04d}.md"
            first = hits[0].why.get("from", {}).get("file", "") if hits else ""
    items = report.plan.items
    return {
        "files": files,
        "bytes": size,
        "items": items,
        "problems": len(report.plan.problems),
        "seconds": round(elapsed, 2),
        "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "items_per_s": round(items / elapsed, 1) if elapsed else 0.0,
        "files_per_s": round(files / elapsed, 1) if elapsed else 0.0,
        "target_s": TARGET_SECONDS,
        "ratio_to_target": round(elapsed / TARGET_SECONDS, 3),
        "question": question,
        "retrieved_first": first,
        "retrieved": expected in first,
        "question_ms": round(question_ms, 1),
    }


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    stages = ", ".join(f"{k} {v} s" for k, v in result["stages_s"].items())
    print(
        f"{result['files']} Markdown files ({result['bytes'] / 1e6:.1f} MB) -> "
        f"{result['items']} items in {result['seconds']} s ({stages})",
        file=out,
    )
    print(
        f"{result['items_per_s']} items/s, {result['files_per_s']} files/s; "
        f"{result['ratio_to_target']:.2f} x the {result['target_s']:.0f} s target",
        file=out,
    )
    verdict = "found it first" if result["retrieved"] else "did NOT find it first"
    print(
        f"question: {result['question']!r} -> {verdict} "
        f"({result['retrieved_first'] or 'nothing'}, {result['question_ms']} ms)",
        file=out,
    )
