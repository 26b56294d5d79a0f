"""The retriever: a question in, the profile items that matter out, each with its reasons.

Ranking fuses FTS5 ``bm25()`` (over each item's text and its hidden context) with dense cosine
similarity (Chroma), then adjusts by recency, the item's feedback weight and, when the question
names a month or year, by whether the item happened then. Near-duplicates are dropped, and the
result is packed into a token budget counted with the chat model's tokenizer.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from lampdesk.profile import Profile
from lampdesk.profile.memories import RankedRow
from lampdesk.retrieval import dates, sparse
from lampdesk.retrieval.dense import DenseIndex, Embedder, blob_to_vector, vector_to_blob
from lampdesk.retrieval.fusion import reciprocal_rank_fusion, score_fusion
from lampdesk.retrieval.tokens import TokenCounter, approximate_tokens
from lampdesk.text import words as text_words

#: Items embedded and indexed per batch while syncing.
SYNC_BATCH = 512
#: Packing stops when fewer tokens than this are left: no item is that short.
MIN_ITEM_TOKENS = 4
#: No tokenizer packs more characters than this in a token on average, so a text longer than
#: this many characters per token left cannot fit and need not be tokenized.
MAX_CHARS_PER_TOKEN = 8
#: A conversational item starts with its speaker: ``"Caroline: ..."``.
_SPEAKER = re.compile(r"^([^\W\d][\w .'-]{0,39}):\s")


@dataclass(frozen=True)
class RetrievalSettings:
    """Knobs of the ranking; the defaults were tuned on LoCoMo's development split."""

    candidates: int = 100
    bm25_weight: float = 1.0
    dense_weight: float = 0.6
    rrf_k: int = 60
    #: "rrf" (reciprocal rank fusion) or "score" (each signal's scores scaled to its best).
    fusion: str = "score"
    #: Below this cosine similarity a dense match alone is too weak to put in front of the model.
    min_dense_similarity: float = 0.2
    #: An item loses half its recency bonus every this many days (``None``: no recency signal).
    recency_half_life_days: float | None = 365.0
    #: The largest recency bonus, as a fraction of the fused score.
    recency_weight: float = 0.05
    #: Bonus, as a fraction of the fused score, for an item from the month or year asked about.
    date_match_boost: float = 0.5
    #: Bonus for an item that places something in time, when the question asks "when".
    temporal_boost: float = 0.1
    #: Items whose word sets overlap this much (Jaccard) with a better one are dropped.
    duplicate_jaccard: float = 0.85
    #: Neighbouring items of the same conversation shown around each hit (0: none).
    context_window: int = 0
    #: Show the day an item happened in front of its text: "always", "never", or "auto" (only
    #: for questions about time, where it matters; dates cost about ten tokens an item).
    show_dates: str = "auto"
    #: Bonus for a conversational item said by the person the question names.
    speaker_boost: float = 0.6
    #: Items returned when neither a limit nor a token budget is given.
    default_limit: int = 5
    #: The day recency is measured from (``None``: today).
    today: date | None = None


@dataclass(frozen=True)
class RetrievedItem:
    id: int
    text: str
    score: float
    why: dict[str, Any]
    turn_ids: tuple[str, ...] = ()
    happened_at: str | None = None
    tokens: int = 0
    #: The day it happened, when the question makes it worth showing: the prompt writes it in
    #: front of the text (:func:`lampdesk.prompting.items.for_model`). Not part of its JSON.
    day: date | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "score": round(self.score, 5),
            "why": self.why,
        }
        if self.turn_ids:
            data["turn_ids"] = list(self.turn_ids)
        if self.happened_at:
            data["happened_at"] = self.happened_at
        return data


def _day(row: RankedRow) -> date:
    return dates.item_day(row.happened_at, row.created_at)


def _words(text: str) -> frozenset[str]:
    return frozenset(text_words(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


#: Where imported items came from (memory id -> source, file, position, date), for "why"; the
#: sources' book (:meth:`lampdesk.sources.book.SourceBook.provenance`), wired by the app.
Provenance = Callable[[Sequence[int]], dict[int, dict[str, Any]]]
#: How ranked items become the text the model sees, before packing counts their tokens
#: (:func:`lampdesk.prompting.items.for_model`); without one, items keep their own text.
Render = Callable[[Sequence[RetrievedItem]], list[RetrievedItem]]


class Retriever:
    def __init__(
        self,
        profile: Profile,
        index: DenseIndex,
        embedder: Embedder,
        *,
        settings: RetrievalSettings | None = None,
        count_tokens: TokenCounter = approximate_tokens,
        provenance: Provenance | None = None,
    ) -> None:
        self.profile = profile
        self.provenance = provenance
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self.count_tokens = count_tokens
        self._lock = threading.Lock()
        self._reconciled = False

    # -- indexing ----------------------------------------------------------------------------

    def sync(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        *,
        wait: bool = True,
    ) -> int:
        """Bring the vectors (kept in the encrypted store) and Chroma up to date.

        Triggers put every insert, edit and delete in ``retrieval_outbox``; this embeds the new
        and edited items in batches and passes all changes to Chroma. Returns how many changes
        it handled. The first call also repairs an index that lost entries (deleted folder).
        *progress* hears ``(done, total)`` after each batch; *cancel* stops between batches
        (what is left stays in the outbox for the next sync). With ``wait=False`` it returns 0
        at once when another thread is syncing (a long import).
        """
        if not self._lock.acquire(blocking=wait):
            return 0
        try:
            return self._sync(progress, cancel)
        finally:
            self._lock.release()

    def _sync(
        self,
        progress: Callable[[int, int], None] | None,
        cancel: threading.Event | None,
    ) -> int:
        """:meth:`sync`'s work, under its lock."""
        handled = 0
        if not self._reconciled:
            handled += self._reconcile()
            self._reconciled = True
        total = synced = 0
        if progress is not None:
            total = self.profile.vector_store.outbox_count()
            progress(0, total)
        while True:
            if cancel is not None and cancel.is_set():
                return handled
            rows = self.profile.vector_store.outbox_batch(SYNC_BATCH)
            if not rows:
                return handled
            self._embed_and_index([mid for mid, op in rows if op == "upsert"])
            self.index.delete([mid for mid, op in rows if op == "delete"])
            self.profile.vector_store.outbox_done(rows)
            handled += len(rows)
            synced += len(rows)
            if progress is not None:
                progress(min(synced, total), total)

    def _embed_and_index(self, ids: Sequence[int]) -> None:
        inputs = self.profile.embedding_inputs(ids)
        present = [mid for mid in ids if mid in inputs]
        if not present:
            return
        vectors = self.embedder.embed([inputs[mid] for mid in present])
        self.profile.store_vectors(
            self.embedder.name,
            [(mid, vector_to_blob(v)) for mid, v in zip(present, vectors, strict=True)],
        )
        self.index.upsert(list(zip(present, vectors, strict=True)))

    def _reconcile(self) -> int:
        """Make Chroma hold exactly the stored items, if a cheap count says it does not."""
        total = self.profile.memory_count()
        pending = self.profile.vector_store.outbox_count("upsert")
        if total == 0 and pending == 0 and not self.index.path.exists():
            return 0
        if self.index.count() == total - pending:
            return 0
        memory_ids = self.profile.memory_store.settled_ids()
        stored = self.profile.vectors(self.embedder.name)
        indexed = self.index.ids()
        self.index.delete(sorted(indexed - memory_ids))
        missing = sorted(memory_ids - indexed)
        need_embedding = [mid for mid in missing if mid not in stored]
        for start in range(0, len(need_embedding), SYNC_BATCH):
            self._embed_and_index(need_embedding[start : start + SYNC_BATCH])
        have = [(mid, blob_to_vector(stored[mid])) for mid in missing if mid in stored]
        for start in range(0, len(have), SYNC_BATCH):
            self.index.upsert(have[start : start + SYNC_BATCH])
        return len(missing) + len(indexed - memory_ids)

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        question: str,
        limit: int | None = None,
        *,
        budget: int | None = None,
        query_vector: Sequence[float] | None = None,
        render: Render | None = None,
    ) -> list[RetrievedItem]:
        """The items that matter for *question*, best first, as *render* shows them.

        With *budget*, as many as fit in that many tokens (an item too long for what is left
        is skipped, so shorter ones after it still fit); otherwise the best *limit* items.
        """
        ranked = self.rank(question, query_vector=query_vector)
        if render is not None:
            ranked = render(ranked)
        if budget is None and limit is None:
            limit = self.settings.default_limit
        return self.pack(ranked, budget, limit=limit)

    def pack(
        self, ranked: Sequence[RetrievedItem], budget: int | None, *, limit: int | None = None
    ) -> list[RetrievedItem]:
        """Take *ranked* items in order, skipping near-duplicates of those taken, until *limit*
        items are taken or *budget* tokens are filled (an item too long for what is left is
        skipped, so shorter ones after it still fit)."""
        kept: list[RetrievedItem] = []
        kept_words: list[frozenset[str]] = []
        left = budget if budget is not None else math.inf
        for item in ranked:
            if left < MIN_ITEM_TOKENS or (limit is not None and len(kept) >= limit):
                break
            cost = 0
            if budget is not None:
                if not item.tokens and len(item.text) > left * MAX_CHARS_PER_TOKEN:
                    continue  # cannot fit: skip without tokenizing
                cost = item.tokens or self.count_tokens(item.text)
                if cost > left:
                    continue
            words = _words(item.text)
            threshold = self.settings.duplicate_jaccard
            if any(_jaccard(words, other) >= threshold for other in kept_words):
                continue
            if budget is not None:
                left -= cost
                item = item if item.tokens else replace(item, tokens=cost)
            kept.append(item)
            kept_words.append(words)
        return kept

    def embed_question(self, question: str) -> list[float]:
        (vector,) = self.embedder.embed([question])
        return vector

    def rank(
        self, question: str, *, query_vector: Sequence[float] | None = None
    ) -> list[RetrievedItem]:
        """Every candidate worth showing, best first, each with its ``why`` and token cost.

        A question asked while another thread indexes (an import) does not wait for it: FTS5
        already holds every stored item, and the vectors join as their batches land.
        """
        self.sync(wait=False)
        if not self.profile.memory_store.any():
            return []
        s = self.settings
        # The question is embedded on another core while FTS5 searches (both release the GIL).
        pending = None
        if query_vector is None:
            pending = _query_pool().submit(self.embed_question, question)
        sparse_hits = sparse.search(self.profile.store, question, s.candidates)
        sparse_ids = {mid for mid, _ in sparse_hits}
        vector = pending.result() if pending is not None else query_vector
        assert vector is not None
        dense_hits = [
            (mid, sim)
            for mid, sim in self.index.query(vector, s.candidates)
            if sim >= s.min_dense_similarity or mid in sparse_ids
        ]
        rankings = {"bm25": sparse_hits, "dense": dense_hits}
        weights = {"bm25": s.bm25_weight, "dense": s.dense_weight}
        raw_names = {"bm25": "bm25", "dense": "similarity"}
        if s.fusion == "score":
            fused = score_fusion(rankings, weights=weights, raw_names=raw_names)
        else:
            fused = reciprocal_rank_fusion(
                rankings, weights=weights, raw_names=raw_names, k=s.rrf_k
            )
        rows = self.profile.memory_store.ranked_rows([f.id for f in fused])
        question_cues = _QuestionCues.of(question, s.today or date.today())
        scored: list[tuple[float, int, dict[str, Any]]] = []
        for entry in fused:
            row = rows.get(entry.id)
            if row is not None:
                score, why = _adjusted(entry.score, dict(entry.why), row, s, question_cues)
                scored.append((score, entry.id, why))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return self._present(scored, rows, self._dates_shown(question))

    def _dates_shown(self, question: str) -> bool:
        mode = self.settings.show_dates
        if mode == "auto":
            return dates.is_temporal_question(question) or bool(dates.date_hint(question))
        return mode == "always"

    def render(
        self, hits: Sequence[tuple[int, float]], signal: str, question: str
    ) -> list[RetrievedItem]:
        """Items in the order of *hits* from a single signal, dated as :meth:`rank` does."""
        rows = self.profile.memory_store.ranked_rows([mid for mid, _ in hits])
        show_dates = self._dates_shown(question)
        items = []
        for rank, (mid, raw) in enumerate(hits, start=1):
            row = rows.get(mid)
            if row is None:
                continue
            why = {signal: {"rank": rank, "score": round(raw, 4)}}
            day = _day(row) if show_dates else None
            items.append(
                RetrievedItem(mid, row.text, raw, why, row.turn_ids, row.happened_at, 0, day)
            )
        return items

    def _present(
        self,
        scored: Sequence[tuple[float, int, dict[str, Any]]],
        rows: dict[int, RankedRow],
        show_dates: bool,
    ) -> list[RetrievedItem]:
        """Add context windows, and the day to show when dates matter."""
        s = self.settings
        kept: list[RetrievedItem] = []
        shown: set[int] = set()
        ids = [mid for _, mid, _ in scored]
        origins = self.provenance(ids) if self.provenance is not None else {}
        for score, mid, why in scored:
            if mid in shown:
                continue
            if mid in origins:  # imported: where it came from, for "why"
                why = {**why, "from": origins[mid]}
            row = rows[mid]
            group = self._window(row) if s.context_window else [row]
            shown.update(r.id for r in group)
            text = " | ".join(r.text for r in group)
            turn_ids = tuple(t for r in group for t in r.turn_ids)
            if len(group) > 1:
                why = {**why, "context": {"neighbours": [r.id for r in group if r.id != mid]}}
            day = _day(row) if show_dates else None
            # Tokens are counted lazily, in pack(): only for the items that get that far.
            kept.append(RetrievedItem(mid, text, score, why, turn_ids, row.happened_at, 0, day))
        return kept

    def _window(self, row: RankedRow) -> list[RankedRow]:
        """*row* with its neighbours from the same source and day (a conversation's session)."""
        return self.profile.memory_store.neighbours(row, self.settings.context_window)


@dataclass(frozen=True)
class _QuestionCues:
    """What a question says that the bonuses look for, read once per question."""

    hint: dates.DateHint
    temporal: bool
    words: frozenset[str]
    today: date

    @classmethod
    def of(cls, question: str, today: date) -> _QuestionCues:
        return cls(
            dates.date_hint(question), dates.is_temporal_question(question), _words(question), today
        )


def _adjusted(
    fused: float,
    why: dict[str, Any],
    row: RankedRow,
    s: RetrievalSettings,
    cues: _QuestionCues,
) -> tuple[float, dict[str, Any]]:
    """An item's *fused* score with the bonuses for recency, a named month or year, a time
    for a "when" question and the speaker the question names, times its feedback weight;
    *why* gains each one and what it added."""
    score = fused
    day = _day(row)
    if s.recency_half_life_days:
        age = max(0, (cues.today - day).days)
        decay = math.pow(0.5, age / s.recency_half_life_days)
        added = fused * s.recency_weight * decay
        score += added
        why["recency"] = {"age_days": age, "contribution": round(added, 5)}
    if cues.hint and s.date_match_boost and cues.hint.matches(day):
        added = fused * s.date_match_boost
        score += added
        why["date"] = {"matches": dates.human_day(day), "contribution": round(added, 5)}
    if cues.temporal and s.temporal_boost and dates.mentions_time(row.text):
        added = fused * s.temporal_boost
        score += added
        why["when"] = {"mentions_time": True, "contribution": round(added, 5)}
    speaker = _SPEAKER.match(row.text)
    if s.speaker_boost and speaker and speaker.group(1).lower() in cues.words:
        added = fused * s.speaker_boost
        score += added
        why["speaker"] = {"said_by": speaker.group(1), "contribution": round(added, 5)}
    if row.weight != 1.0:
        before = score
        score *= row.weight
        why["feedback"] = {
            "weight": round(row.weight, 3),
            "contribution": round(score - before, 5),
        }
    return score, why


_QUERY_POOL: ThreadPoolExecutor | None = None
_QUERY_POOL_LOCK = threading.Lock()


def _query_pool() -> ThreadPoolExecutor:
    """The one thread that embeds questions while FTS5 searches, shared by every retriever of
    the process (a retriever per open profile must not leave a thread each behind)."""
    global _QUERY_POOL
    with _QUERY_POOL_LOCK:
        if _QUERY_POOL is None:
            _QUERY_POOL = ThreadPoolExecutor(1, thread_name_prefix="lampdesk-query-embed")
        return _QUERY_POOL
