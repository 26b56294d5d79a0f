"""``lampdesk eval retrieval``: does the retriever find the evidence turns of LoCoMo questions?

Each conversation becomes a throwaway profile in a temporary data directory (real SQLCipher store,
real Chroma index). Each turn is one item: ``"Speaker: text [photo: caption]"`` dated with its
session's date, keeping its ``dia_id``; the neighbouring turns are its searchable context (never
shown). A question counts as found within a budget when an item carrying one of its evidence turn
ids fits in that many tokens. The BM25 and dense baselines run in the same pass on the same items.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lampdesk.paths import DataPaths
from lampdesk.profile import NewItem, Profile
from lampdesk.prompting.items import for_model
from lampdesk.retrieval import dates, sparse
from lampdesk.retrieval.dense import DenseIndex, Embedder
from lampdesk.retrieval.retriever import RetrievalSettings, RetrievedItem, Retriever
from lampdesk.retrieval.tokens import TokenCounter
from lampdesk.sources.locomo import read_folder
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault

CATEGORIES = (1, 2, 3, 4)
DEFAULT_BUDGETS = (256, 512, 1024)
KS = (5, 10)
BASELINE_CANDIDATES = 100


@dataclass(frozen=True)
class Question:
    text: str
    evidence: frozenset[str]
    category: int


@dataclass
class Conversation:
    name: str
    items: list[NewItem]
    questions: list[Question]


@dataclass
class Tally:
    """Hits of one system over a set of questions."""

    budgets: Sequence[int]
    questions: int = 0
    at_budget: dict[int, int] = field(default_factory=dict)
    at_k: dict[int, int] = field(default_factory=dict)
    reciprocal_ranks: float = 0.0

    def add(self, found_at_budget: dict[int, bool], first_rank: int | None) -> None:
        self.questions += 1
        for budget, found in found_at_budget.items():
            self.at_budget[budget] = self.at_budget.get(budget, 0) + int(found)
        for k in KS:
            hit = first_rank is not None and first_rank <= k
            self.at_k[k] = self.at_k.get(k, 0) + int(hit)
        if first_rank is not None:
            self.reciprocal_ranks += 1.0 / first_rank

    def as_json(self) -> dict[str, Any]:
        n = max(self.questions, 1)
        return {
            "questions": self.questions,
            "recall_at_budget": {
                str(b): round(self.at_budget.get(b, 0) / n, 4) for b in self.budgets
            },
            "recall_at_k": {str(k): round(self.at_k.get(k, 0) / n, 4) for k in KS},
            "mrr": round(self.reciprocal_ranks / n, 4),
        }


class SystemTally:
    """A tally over all questions and one per category."""

    def __init__(self, budgets: Sequence[int]) -> None:
        self.all = Tally(budgets)
        self.by_category = {c: Tally(budgets) for c in CATEGORIES}

    def add(self, category: int, found: dict[int, bool], first_rank: int | None) -> None:
        self.all.add(found, first_rank)
        self.by_category[category].add(found, first_rank)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.all.as_json(),
            "per_category": {str(c): t.as_json() for c, t in self.by_category.items()},
        }


# -- reading LoCoMo ---------------------------------------------------------------------------


def load_conversations(data_dir: Path) -> list[Conversation]:
    return [
        Conversation(
            name,
            items,
            [
                Question(str(q["question"]), frozenset(map(str, q["evidence"])), int(q["category"]))
                for q in qa
                if int(q.get("category", 0)) in CATEGORIES and q.get("evidence")
            ],
        )
        for name, items, qa in read_folder(data_dir)
    ]


# -- running ----------------------------------------------------------------------------------


def _first_rank(items: Sequence[RetrievedItem], evidence: frozenset[str]) -> int | None:
    for rank, item in enumerate(items, start=1):
        if evidence.intersection(item.turn_ids):
            return rank
    return None


def _found(
    retriever: Retriever,
    ranked: Sequence[RetrievedItem],
    evidence: frozenset[str],
    budgets: Sequence[int],
) -> dict[int, bool]:
    return {
        b: any(evidence.intersection(i.turn_ids) for i in retriever.pack(ranked, b))
        for b in budgets
    }


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def evaluate(
    data_dir: Path,
    *,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    embedder: Embedder,
    count_tokens: TokenCounter,
    settings: RetrievalSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every question of categories 1-4; the result is the ``--json`` object."""
    conversations = load_conversations(data_dir)
    budgets = sorted(set(budgets))
    main, bm25, dense = SystemTally(budgets), SystemTally(budgets), SystemTally(budgets)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="lampdesk-eval-") as tmp:
        paths = DataPaths(Path(tmp))
        passphrase = secrets.token_urlsafe(16)
        vault = Vault(paths, prompt=lambda _what, _confirm: passphrase)
        for conversation in conversations:
            entry, store = vault.create(f"locomo-{conversation.name}"[:64], KeyMode.PASSPHRASE)
            try:
                profile = Profile(store)
                profile.add_items(conversation.items)
                days = [i.happened_at for i in conversation.items if i.happened_at]
                today = dates.item_day(max(days), "") if days else None
                chosen = settings or RetrievalSettings()
                retriever = Retriever(
                    profile,
                    DenseIndex(paths.index_dir(entry.id)),
                    embedder,
                    settings=replace(chosen, today=today),
                    count_tokens=count_tokens,
                )
                started = time.perf_counter()
                retriever.sync()
                if progress:
                    progress(
                        f"{conversation.name}: {len(conversation.items)} items indexed in "
                        f"{time.perf_counter() - started:.1f} s, "
                        f"{len(conversation.questions)} questions"
                    )
                for question in conversation.questions:
                    started = time.perf_counter()
                    vector = retriever.embed_question(question.text)
                    ranked = for_model(retriever.rank(question.text, query_vector=vector))
                    retriever.pack(ranked, 512)
                    latencies.append((time.perf_counter() - started) * 1000)
                    evidence = question.evidence
                    main.add(
                        question.category,
                        _found(retriever, ranked, evidence, budgets),
                        _first_rank(ranked, evidence),
                    )
                    for tally, hits, signal in (
                        (
                            bm25,
                            sparse.plain_search(store, question.text, BASELINE_CANDIDATES),
                            "bm25",
                        ),
                        (dense, retriever.index.query(vector, BASELINE_CANDIDATES), "dense"),
                    ):
                        items = for_model(retriever.render(hits, signal, question.text))
                        tally.add(
                            question.category,
                            _found(retriever, items, evidence, budgets),
                            _first_rank(items, evidence),
                        )
            finally:
                store.close()
    return {
        **main.as_json(),
        "latency_ms": {
            "p50": round(statistics.median(latencies) if latencies else 0.0, 2),
            "p95": round(_percentile(latencies, 0.95), 2),
        },
        "baselines": {"bm25": bm25.as_json(), "dense": dense.as_json()},
    }


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    budgets = list(result["recall_at_budget"])
    head = "system   " + "".join(f"  @{b:>5} tok" for b in budgets) + "     @5    @10    mrr"
    print(f"{result['questions']} questions (categories 1-4)", file=out)
    print(head, file=out)
    rows = [("lampdesk", result)] + [(n, r) for n, r in result["baselines"].items()]
    for name, r in rows:
        cells = "".join(f"  {r['recall_at_budget'][b]:>9.3f}" for b in budgets)
        ks = "".join(f"  {r['recall_at_k'][k]:>5.3f}" for k in ("5", "10"))
        print(f"{name:<9}{cells}{ks}  {r['mrr']:.3f}", file=out)
    for category, r in result["per_category"].items():
        cells = "".join(f"  {r['recall_at_budget'][b]:>9.3f}" for b in budgets)
        print(f"  cat {category} ({r['questions']:>3} q){cells}", file=out)
    lat = result["latency_ms"]
    print(f"latency per question: p50 {lat['p50']} ms, p95 {lat['p95']} ms", file=out)
