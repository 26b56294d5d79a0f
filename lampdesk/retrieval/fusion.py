"""Fusing several ranked lists (by rank or by scaled score), keeping each signal's contribution."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RRF_K = 60


@dataclass
class Fused:
    id: int
    score: float = 0.0
    why: dict[str, dict[str, Any]] = field(default_factory=dict)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[tuple[int, float]]],
    *,
    weights: Mapping[str, float] | None = None,
    raw_names: Mapping[str, str] | None = None,
    k: int = RRF_K,
) -> list[Fused]:
    """Fuse ``{signal: [(id, raw score), ...] best first}`` into one list, best first.

    Each result's ``why`` names every signal that ranked it: its rank there, its raw score, and
    what it added to the fused score.
    """
    return _fuse(
        rankings,
        weights,
        raw_names,
        lambda weight, rank, raw, ranking: weight / (k + rank),
    )


def score_fusion(
    rankings: Mapping[str, Sequence[tuple[int, float]]],
    *,
    weights: Mapping[str, float] | None = None,
    raw_names: Mapping[str, str] | None = None,
) -> list[Fused]:
    """Fuse by raw scores, each signal scaled so its best item scores its weight.

    Unlike rank fusion this keeps how far apart the scores are: a clear BM25 winner stays ahead
    of a crowd of middling dense matches. Raw scores must be larger-is-better and positive.
    """

    tops = {id(ranking): max((r for _, r in ranking), default=0.0) for ranking in rankings.values()}

    def scaled(weight: float, rank: int, raw: float, ranking: Sequence[tuple[int, float]]) -> float:
        top = tops[id(ranking)]  # once per signal, not once per item
        return weight * (max(raw, 0.0) / top if top > 0 else 0.0)

    return _fuse(rankings, weights, raw_names, scaled)


def _fuse(
    rankings: Mapping[str, Sequence[tuple[int, float]]],
    weights: Mapping[str, float] | None,
    raw_names: Mapping[str, str] | None,
    contribution_of: Callable[[float, int, float, Sequence[tuple[int, float]]], float],
) -> list[Fused]:
    """Sum each signal's contribution per item, keeping in ``why`` what each signal added."""
    fused: dict[int, Fused] = {}
    for signal, ranking in rankings.items():
        weight = (weights or {}).get(signal, 1.0)
        raw_name = (raw_names or {}).get(signal, "score")
        for rank, (item_id, raw) in enumerate(ranking, start=1):
            contribution = contribution_of(weight, rank, raw, ranking)
            entry = fused.setdefault(item_id, Fused(item_id))
            entry.score += contribution
            entry.why[signal] = {
                "rank": rank,
                raw_name: round(raw, 4),
                "contribution": round(contribution, 5),
            }
    return sorted(fused.values(), key=lambda f: (-f.score, f.id))
