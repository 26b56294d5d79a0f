"""The retriever: a question in, the profile items that matter out, each with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lampdesk.profile import Profile
from lampdesk.retrieval import sparse
from lampdesk.retrieval.dense import DenseIndex, Embedder, blob_to_vector, vector_to_blob
from lampdesk.retrieval.fusion import reciprocal_rank_fusion

CANDIDATES = 50
#: Below this cosine similarity a dense match alone is too weak to put in front of the model.
MIN_DENSE_SIMILARITY = 0.2


@dataclass(frozen=True)
class RetrievedItem:
    id: int
    text: str
    score: float
    why: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "score": round(self.score, 5), "why": self.why}


class Retriever:
    def __init__(self, profile: Profile, index: DenseIndex, embedder: Embedder) -> None:
        self.profile = profile
        self.index = index
        self.embedder = embedder

    def sync(self) -> None:
        """Bring vectors (kept in the encrypted store) and the Chroma index up to date."""
        memories = {m.id: m for m in self.profile.memories()}
        stored = self.profile.vectors(self.embedder.name)
        missing = [m for mid, m in memories.items() if mid not in stored]
        if missing:
            vectors = self.embedder.embed([m.text for m in missing])
            fresh = {m.id: v for m, v in zip(missing, vectors, strict=True)}
            self.profile.store_vectors(
                self.embedder.name, [(mid, vector_to_blob(v)) for mid, v in fresh.items()]
            )
            stored.update({mid: vector_to_blob(v) for mid, v in fresh.items()})
        indexed = self.index.ids()
        self.index.delete(sorted(indexed - memories.keys()))
        self.index.upsert(
            [(mid, blob_to_vector(stored[mid])) for mid in sorted(memories.keys() - indexed)]
        )

    def search(self, question: str, limit: int = 5) -> list[RetrievedItem]:
        if self.profile.memory_count() == 0:
            return []
        self.sync()
        sparse_hits = sparse.search(self.profile.store, question, CANDIDATES)
        sparse_ids = {mid for mid, _ in sparse_hits}
        (query_vector,) = self.embedder.embed([question])
        dense_hits = [
            (mid, sim)
            for mid, sim in self.index.query(query_vector, CANDIDATES)
            if sim >= MIN_DENSE_SIMILARITY or mid in sparse_ids
        ]
        fused = reciprocal_rank_fusion(
            {"bm25": sparse_hits, "dense": dense_hits},
            raw_names={"bm25": "bm25", "dense": "similarity"},
        )[:limit]
        texts = {m.id: m.text for m in self.profile.memories([f.id for f in fused])}
        return [RetrievedItem(f.id, texts[f.id], f.score, f.why) for f in fused if f.id in texts]
