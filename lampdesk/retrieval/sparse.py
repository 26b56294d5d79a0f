"""Sparse retrieval: SQLite FTS5 ``bm25()`` inside the encrypted database."""

from __future__ import annotations

from lampdesk.text import STOP_WORDS, words
from lampdesk.vault.store import Store

#: A question longer than this many search terms keeps its first ones (bounded query time).
MAX_TERMS = 32
#: bm25() column weights of ``retrieval_fts``: the item's own text counts more than its context.
TEXT_WEIGHT = 1.0
CONTEXT_WEIGHT = 0.35


def query_terms(text: str) -> list[str]:
    """The searchable words of *text*, lower-cased, stop words removed, order kept, unique."""
    terms = (w for w in words(text) if w not in STOP_WORDS)
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for any user text; ``None`` when nothing is searchable.

    Every term is a quoted string, so quotes, operators (AND, NEAR, ``*``, ``-``, ``:``) and other
    scripts in the user's text can never be an FTS5 syntax error.
    """
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search(store: Store, text: str, limit: int) -> list[tuple[int, float]]:
    """``(memory_id, bm25)`` best first over text and context; larger is better.

    The Porter tokenizer stems both the items and the quoted query terms, so "trains" finds
    "training".
    """
    expression = fts_query(text)
    if expression is None:
        return []
    rows = store.query(
        f"SELECT rowid, bm25(retrieval_fts, {TEXT_WEIGHT}, {CONTEXT_WEIGHT}) AS score "
        "FROM retrieval_fts WHERE retrieval_fts MATCH ? ORDER BY score LIMIT ?",
        (expression, limit),
    )
    return [(int(rowid), -float(score)) for rowid, score in rows]


def plain_search(store: Store, text: str, limit: int) -> list[tuple[int, float]]:
    """The baseline: FTS5 ``bm25()`` over the items' text alone (no context)."""
    expression = fts_query(text)
    if expression is None:
        return []
    rows = store.query(
        "SELECT rowid, bm25(memories_fts) AS score FROM memories_fts "
        "WHERE memories_fts MATCH ? ORDER BY score LIMIT ?",
        (expression, limit),
    )
    return [(int(rowid), -float(score)) for rowid, score in rows]
