"""``lampdesk eval memory``: does the memory loop learn what is true about the user, and only that?

Reads utterance files (``{"format": "lampdesk-utterances/1", "utterances": [{"text", "is_fact",
"topic"?}]}``) at run time, never copying them. Each utterance goes through the learner users
get (:meth:`MemoryLearner.learn`, with the app's embedder and, with ``--model``, that chat
model's extraction too) on a throwaway profile (a real SQLCipher store in a temporary folder):
it counts as learned when the learner adds, updates or deletes a memory or proposes to. What it
learned is forgotten again before the next utterance (without holding it back), so each is
judged alone.

Reports precision, recall and F1 of "learned or not", topic accuracy over the facts learned
(the topic of the first memory, against the label where there is one; ``topic_accuracy_strict``
compares names exactly, ``topic_accuracy`` also takes the few names that differ between the
label set and LampDesk's vocabulary, :data:`SAME_TOPIC`), the time per utterance, and the same
figures for each half of the utterances (even and odd positions), to show that a figure is not
carried by a few utterances.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.evals.datafiles import documents
from lampdesk.inference.engine import Engine
from lampdesk.memory.learner import MEMORY_ASK_FIRST, MEMORY_MODEL_EXTRACTION, MemoryLearner
from lampdesk.memory.statements import TextEmbedder
from lampdesk.profile import Profile
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store

FORMAT = "lampdesk-utterances/1"
#: Label names and the LampDesk topic of the same meaning.
SAME_TOPIC = {"hobbies": "activities", "goals": "plans"}


@dataclass(frozen=True)
class Utterance:
    text: str
    is_fact: bool
    topic: str | None


@dataclass(frozen=True)
class Result:
    utterance: Utterance
    learned: bool
    topic: str | None
    ms: float


def read_utterances(data: Path) -> list[Utterance]:
    """The utterances of every ``*.json`` file in *data* (a folder, or one file)."""
    files = sorted(data.glob("*.json")) if data.is_dir() else [data]
    found: list[Utterance] = []
    for content in documents(files, FORMAT):
        for item in content.get("utterances", []):
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                topic = item.get("topic")
                found.append(
                    Utterance(item["text"], bool(item.get("is_fact")), topic if topic else None)
                )
    if not found:
        raise UsageError(f"No utterances ({FORMAT} files) in {data}.")
    return found


def run_learner(
    utterances: list[Utterance],
    embedder: TextEmbedder | None,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="lampdesk-eval-memory-") as tmp:
        store = Store.open(
            Path(tmp) / "eval.db", ProfileKey(KeyMode.PASSPHRASE, os.urandom(8).hex()), create=True
        )
        try:
            profile = Profile(store)
            profile.set_setting(MEMORY_ASK_FIRST, "off")
            profile.set_setting(MEMORY_MODEL_EXTRACTION, "on" if engine is not None else "off")
            learner = MemoryLearner(profile, engine, embedder=embedder)
            learner.learn(None, "I'm warming up.")  # loads the embedder, not timed
            _reset(profile)
            for number, utterance in enumerate(utterances, start=1):
                started = time.perf_counter()
                outcomes = learner.learn(None, utterance.text)
                ms = (time.perf_counter() - started) * 1000
                acted = [o for o in outcomes if o.decision.action != "none"]
                topic = acted[0].decision.candidate.topic if acted else None
                results.append(Result(utterance, bool(acted), topic, ms))
                _reset(profile)
                if progress is not None:
                    progress(f"{number}/{len(utterances)} {'learned' if acted else '-'}")
        finally:
            store.close()
    return results


def _reset(profile: Profile) -> None:
    for memory in profile.memories():
        profile.forget(memory.id, refuse=False)
    profile.proposal_store.clear()


def _same_topic(label: str | None, topic: str | None, strict: bool) -> bool:
    if label is None or topic is None:
        return False
    return topic == label or (not strict and SAME_TOPIC.get(label) == topic)


def score(results: list[Result]) -> dict[str, Any]:
    tp = sum(r.learned and r.utterance.is_fact for r in results)
    fp = sum(r.learned and not r.utterance.is_fact for r in results)
    fn = sum(not r.learned and r.utterance.is_fact for r in results)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    topical = [r for r in results if r.learned and r.utterance.is_fact and r.utterance.topic]
    times = [r.ms for r in results]
    return {
        "utterances": len(results),
        "facts": sum(r.utterance.is_fact for r in results),
        "learned": tp + fp,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "topic_accuracy": _share(topical, strict=False),
        "topic_accuracy_strict": _share(topical, strict=True),
        "ms_per_utterance": round(statistics.mean(times), 2) if times else None,
        "ms_per_utterance_p95": round(_p95(times), 2) if times else None,
    }


def _share(results: list[Result], strict: bool) -> float | None:
    if not results:
        return None
    right = sum(_same_topic(r.utterance.topic, r.topic, strict) for r in results)
    return round(right / len(results), 3)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def evaluate(
    data: Path,
    embedder: TextEmbedder | None,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    utterances = read_utterances(data)
    results = run_learner(utterances, embedder, engine, progress)
    report = score(results)
    report["classifier"] = embedder is not None
    report["model_extraction"] = engine.model_name if engine is not None else None
    report["halves"] = {"even": score(results[0::2]), "odd": score(results[1::2])}
    report["missed"] = [r.utterance.text for r in results if r.utterance.is_fact and not r.learned]
    report["wrongly_learned"] = [
        r.utterance.text for r in results if r.learned and not r.utterance.is_fact
    ]
    report["wrong_topic"] = [
        {"text": r.utterance.text, "label": r.utterance.topic, "topic": r.topic}
        for r in results
        if r.learned
        and r.utterance.is_fact
        and r.utterance.topic
        and not _same_topic(r.utterance.topic, r.topic, strict=False)
    ]
    return report


def print_report(report: dict[str, Any]) -> None:
    print(
        f"{report['utterances']} utterances ({report['facts']} facts): precision "
        f"{report['precision']}, recall {report['recall']}, F1 {report['f1']}; topic accuracy "
        f"{report['topic_accuracy']} (strict {report['topic_accuracy_strict']}); "
        f"{report['ms_per_utterance']} ms per utterance (p95 {report['ms_per_utterance_p95']})"
    )
    for name, half in report["halves"].items():
        print(
            f"  {name} half: precision {half['precision']}, recall {half['recall']}, "
            f"F1 {half['f1']}, topic accuracy {half['topic_accuracy']}"
        )
    for key in ("missed", "wrongly_learned"):
        for text in report[key]:
            print(f"  {key.replace('_', ' ')}: {text}")
    for item in report["wrong_topic"]:
        print(f"  wrong topic: {item['text']} ({item['topic']}, labelled {item['label']})")
