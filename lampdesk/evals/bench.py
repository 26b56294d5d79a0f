"""``lampdesk bench retrieval``: ingest rate and query latency on synthetic profiles.

Each size gets a fresh throwaway profile (real SQLCipher store, real Chroma index, the real
embedder) filled with generated diary-like sentences. Ingest is timed from the first insert to
the last vector in Chroma. Queries are timed through :meth:`Retriever.search` with a token
budget, once embedding the question and once with the vector precomputed; in the same loop, on
the same items, a raw FTS5 ``bm25()`` query and a raw Chroma query with the precomputed vector
(the floor any hybrid retriever pays), so ``query_p50_vs_raw`` (LampDesk's p50 over the sum of
the two raw p50s) holds on a loaded machine where absolute times do not. Peak RSS is the
process's high-water mark after that size (sizes run smallest first). With a baseline graph (see
:func:`run_bench`) a second profile runs in the same loop, so the two embedders compare under the
same load.
"""

from __future__ import annotations

import itertools
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lampdesk.paths import DataPaths
from lampdesk.profile import NewItem, Profile
from lampdesk.prompting.items import for_model
from lampdesk.retrieval import sparse
from lampdesk.retrieval.dense import COLLECTION, DenseIndex, Embedder
from lampdesk.retrieval.retriever import Retriever
from lampdesk.retrieval.tokens import TokenCounter, VocabTokenCounter
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault
from lampdesk.vault.store import Store

INGEST_BATCH = 1000
QUERY_BUDGET = 512

_PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Farah", "Goran", "Hana", "Ivo", "Jun"]
_VERBS = [
    "visited",
    "cooked",
    "painted",
    "read about",
    "talked about",
    "bought",
    "fixed",
    "planned",
    "wrote about",
    "tried",
    "learned",
    "photographed",
    "sold",
    "found",
]
_THINGS = [
    "a lighthouse",
    "ramen",
    "the garden shed",
    "a jazz record",
    "the marathon route",
    "a ceramic bowl",
    "the old bicycle",
    "a chess opening",
    "Lisbon",
    "a sourdough loaf",
    "the night shift",
    "a kayak",
    "a birthday gift",
    "the climbing wall",
    "a violin",
    "a vegan curry",
    "the tax forms",
    "a puppy",
    "the roof",
    "a poetry book",
]
_WHEN = [
    "yesterday",
    "last weekend",
    "this morning",
    "two weeks ago",
    "on Friday",
    "last month",
    "after work",
    "during the holidays",
    "with friends",
    "alone",
]
_FEELINGS = [
    "and loved it",
    "and it was hard",
    "for the first time",
    "again",
    "with my sister",
    "because it matters to me",
    "and felt proud",
    "and want to do it again",
]


def synthetic_items(count: int, seed: int = 7) -> Iterator[NewItem]:
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    for n in range(count):
        speaker = rng.choice(_PEOPLE)
        text = (
            f"{speaker}: I {rng.choice(_VERBS)} {rng.choice(_THINGS)} {rng.choice(_WHEN)} "
            f"{rng.choice(_FEELINGS)}."
        )
        day = start + timedelta(days=n * 1500 // max(count, 1))
        yield NewItem(
            text=text,
            kind="turn",
            source=f"synthetic:{n // 20}",
            happened_at=day.isoformat(),
            turn_ids=(f"S{n // 20}:{n % 20}",),
        )


def synthetic_questions(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    templates = [
        "When did {p} visit {t}?",
        "What did {p} say about {t}?",
        "Has {p} ever tried {t}?",
        "Who {v} {t}?",
        "What does {p} think of {t}?",
    ]
    return [
        rng.choice(templates).format(
            p=rng.choice(_PEOPLE), t=rng.choice(_THINGS), v=rng.choice(_VERBS)
        )
        for _ in range(count)
    ]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _raw_queries(
    store: Store, index_dir: Path, limit: int
) -> tuple[Callable[[str], list[Any]], Callable[[Sequence[float]], Any]]:
    """The two searches with nothing of LampDesk's around them: FTS5 ``bm25()`` over the items'
    text (the question's terms quoted and OR-ed, as any safe caller must), and Chroma's nearest
    *limit* neighbours of a vector, from a client of its own."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(
        path=str(index_dir), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )
    collection: Any = client.get_collection(COLLECTION)

    def fts(question: str) -> list[Any]:
        expression = sparse.fts_query(question)
        if expression is None:
            return []
        rows: list[Any] = store.query(
            "SELECT rowid, bm25(memories_fts) AS score FROM memories_fts "
            "WHERE memories_fts MATCH ? ORDER BY score LIMIT ?",
            (expression, limit),
        )
        return rows

    def dense(vector: Sequence[float]) -> Any:
        return collection.query(
            query_embeddings=[list(vector)], n_results=limit, include=["distances"]
        )

    return fts, dense


@dataclass
class _Arm:
    """One embedder's throwaway profile in a size's run, and what was timed on it."""

    embedder: Embedder
    store: Store
    profile: Profile
    retriever: Retriever
    index_dir: Path
    ingest_s: float = 0.0
    with_embed: list[float] = field(default_factory=list)
    no_embed: list[float] = field(default_factory=list)

    def ingest(self, batch: list[NewItem]) -> None:
        started = time.perf_counter()
        self.profile.add_items(batch)
        self.retriever.sync()
        self.ingest_s += time.perf_counter() - started

    def query(self, question: str, vector: Sequence[float]) -> None:
        started = time.perf_counter()
        self.retriever.search(question, budget=QUERY_BUDGET, render=for_model)
        self.with_embed.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        self.retriever.search(question, budget=QUERY_BUDGET, query_vector=vector, render=for_model)
        self.no_embed.append((time.perf_counter() - started) * 1000)


def _open_arm(
    name: str, paths: DataPaths, vault: Vault, embedder: Embedder, count_tokens: TokenCounter
) -> _Arm:
    entry, store = vault.create(name, KeyMode.PASSPHRASE)
    profile = Profile(store)
    index_dir = paths.index_dir(entry.id)
    dense = DenseIndex(index_dir)
    dense.count()  # Chroma imported and its client made before anything is timed
    retriever = Retriever(profile, dense, embedder, count_tokens=count_tokens)
    return _Arm(embedder, store, profile, retriever, index_dir)


def _turns(arms: list[_Arm], n: int) -> list[_Arm]:
    """The arms in turn *n*'s order: alternated, so neither always goes first."""
    return arms if n % 2 == 0 else arms[::-1]


def bench_size(
    size: int,
    paths: DataPaths,
    vault: Vault,
    embedders: Sequence[Embedder],
    queries: int,
    count_tokens: TokenCounter,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, float]]:
    """The figures of each embedder's profile at *size* items (the first one's with the raw
    queries). Several embedders share one loop: each batch of items, then each question, goes
    to every profile in turn, so a load that comes and goes weighs on all of them alike."""
    arms: list[_Arm] = []
    try:
        for n, embedder in enumerate(embedders):
            arms.append(_open_arm(f"bench-{size}-{n}", paths, vault, embedder, count_tokens))
        started = time.perf_counter()
        done = 0
        items = synthetic_items(size)
        while batch := list(itertools.islice(items, INGEST_BATCH)):
            for arm in _turns(arms, done // INGEST_BATCH):
                arm.ingest(batch)
            done += len(batch)
            if progress and done % (INGEST_BATCH * 10) == 0:
                rate = done / (time.perf_counter() - started)
                progress(f"  {size}: {done} items ingested ({rate:.0f}/s for all profiles)")

        questions = synthetic_questions(queries)
        vectors = [arm.embedder.embed(questions) for arm in arms]
        main = arms[0]
        raw_fts, raw_chroma = _raw_queries(
            main.store, main.index_dir, main.retriever.settings.candidates
        )
        for arm in arms:
            arm.retriever.search("warm up the caches", budget=QUERY_BUDGET, render=for_model)
        raw_fts(questions[0])
        raw_chroma(vectors[0][0])
        # Interleaved, so that background work after the ingest weighs on all alike.
        fts_ms: list[float] = []
        chroma_ms: list[float] = []
        for n, question in enumerate(questions):
            for arm in _turns(arms, n):
                arm.query(question, vectors[arms.index(arm)][n])
            started = time.perf_counter()
            raw_fts(question)
            fts_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            raw_chroma(vectors[0][n])
            chroma_ms.append((time.perf_counter() - started) * 1000)
    finally:
        for arm in arms:
            arm.store.close()
    raw = max(1e-6, statistics.median(fts_ms) + statistics.median(chroma_ms))
    results = [_figures(arm, size) for arm in arms]
    results[0].update(
        {
            "raw_fts_ms_p50": round(statistics.median(fts_ms), 2),
            "raw_chroma_ms_p50": round(statistics.median(chroma_ms), 2),
            "query_p50_vs_raw": round(statistics.median(main.with_embed) / raw, 2),
            "query_p50_no_embed_vs_raw": round(statistics.median(main.no_embed) / raw, 2),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
        }
    )
    return results


def _figures(arm: _Arm, size: int) -> dict[str, float]:
    return {
        "query_ms_p50": round(statistics.median(arm.with_embed), 2),
        "query_ms_p95": round(_p(arm.with_embed, 0.95), 2),
        "query_ms_p50_no_embed": round(statistics.median(arm.no_embed), 2),
        "query_ms_p95_no_embed": round(_p(arm.no_embed, 0.95), 2),
        "ingest_per_s": round(size / max(arm.ingest_s, 1e-9), 1),
    }


def _versus(ours: dict[str, Any], baseline: dict[str, Any], graph: Path) -> None:
    """Adds *baseline*'s figures to *ours*, and ours as ratios of theirs (above 1: slower)."""
    ours["baseline"] = {"graph": str(graph), **baseline}
    ours["query_p50_vs_baseline"] = round(ours["query_ms_p50"] / baseline["query_ms_p50"], 3)
    ours["query_p50_no_embed_vs_baseline"] = round(
        ours["query_ms_p50_no_embed"] / baseline["query_ms_p50_no_embed"], 3
    )
    ours["ingest_time_vs_baseline"] = round(baseline["ingest_per_s"] / ours["ingest_per_s"], 3)


def run_bench(
    sizes: Sequence[int],
    *,
    queries: int = 100,
    embedder: Embedder | None = None,
    baseline_graph: Path | None = None,
    count_tokens: TokenCounter | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The ``--json`` object: ``{"sizes": {"1000": {...}, ...}}``.

    With *baseline_graph* (an ONNX graph of the same embedding model made some other way, such
    as the PyTorch export the embedder used before), every size also runs, in the same loop and
    on the same items, a profile embedded through that graph: its figures go under
    ``"baseline"`` and ours as ratios of them (``query_p50_vs_baseline``,
    ``ingest_time_vs_baseline``: above 1 is slower).
    """
    embedders = [embedder or Embedder()]
    if baseline_graph is not None:
        embedders.append(Embedder(graph=baseline_graph))
    for each in embedders:
        each.embed(["load the model before timing anything"])
    count_tokens = count_tokens or VocabTokenCounter()
    count_tokens("load the tokenizer before timing anything")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lampdesk-bench-") as tmp:
        paths = DataPaths(Path(tmp))
        passphrase = secrets.token_urlsafe(16)
        vault = Vault(paths, prompt=lambda _what, _confirm: passphrase)
        for size in sorted(set(sizes)):
            if progress:
                progress(f"bench: {size} items...")
            figures = bench_size(size, paths, vault, embedders, queries, count_tokens, progress)
            if baseline_graph is not None:
                _versus(figures[0], figures[1], baseline_graph)
            results[str(size)] = figures[0]
            if progress:
                progress(f"  {size}: {results[str(size)]}")
    return {"sizes": results}


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    print(
        "items    query p50  query p95  p50 no-embed  raw fts+chroma  vs raw  ingest/s  "
        "peak RSS MB",
        file=out,
    )
    for size, r in result["sizes"].items():
        raw = r["raw_fts_ms_p50"] + r["raw_chroma_ms_p50"]
        print(
            f"{size:>7}  {r['query_ms_p50']:>9.1f}  {r['query_ms_p95']:>9.1f}  "
            f"{r['query_ms_p50_no_embed']:>12.1f}  {raw:>14.1f}  {r['query_p50_vs_raw']:>5.2f}x  "
            f"{r['ingest_per_s']:>8.1f}  {r['peak_rss_mb']:>11.1f}",
            file=out,
        )
        if "baseline" in r:
            b = r["baseline"]
            print(
                f"{'':>7}  {b['query_ms_p50']:>9.1f}  {b['query_ms_p95']:>9.1f}  "
                f"{b['query_ms_p50_no_embed']:>12.1f}  {'':>14}  {'':>6}  "
                f"{b['ingest_per_s']:>8.1f}  baseline ({Path(b['graph']).name}); ours: "
                f"p50 {r['query_p50_vs_baseline']:.3f}x, "
                f"ingest time {r['ingest_time_vs_baseline']:.3f}x",
                file=out,
            )
