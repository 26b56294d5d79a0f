"""What the memory views show (the CLI's ``memory list`` and the GUI's browser): memories
filtered and sorted, the changes waiting for the user, and how many were learned each month."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.profile import Memory, Profile

SORTS = ("date", "weight", "id")


def select(memories: list[Memory], search: str = "", sort: str = "id") -> list[Memory]:
    """*memories* holding every word of *search*, newest first ("date"), heaviest first
    ("weight"), or in the order they were added ("id")."""
    if sort not in SORTS:
        raise UsageError(f"Sort by one of {', '.join(SORTS)}, not {sort!r}.")
    words = search.lower().split()
    chosen = [m for m in memories if all(w in m.text.lower() for w in words)]
    if sort == "date":
        return sorted(chosen, key=lambda m: (m.updated_at or m.created_at, m.id), reverse=True)
    if sort == "weight":
        return sorted(chosen, key=lambda m: (-m.weight, m.id))
    return chosen


def timeline(memories: list[Memory]) -> list[tuple[str, int]]:
    """Memories added per month ("2026-11"), oldest month first."""
    months = Counter(m.created_at[:7] for m in memories if m.created_at)
    return sorted(months.items())


def snapshot(profile: Profile, search: str = "", sort: str = "date") -> dict[str, Any]:
    memories = profile.memories()
    return {
        "memories": [asdict(m) for m in select(memories, search, sort)],
        "proposals": [asdict(p) for p in profile.proposals()],
        "timeline": timeline(memories),
        "total": len(memories),
    }
