"""Sparse retrieval: SQLite FTS5 ``bm25()`` inside the encrypted database."""

from __future__ import annotations

import re

from lampdesk.vault.store import Store

# Function words that match everywhere and say nothing about relevance.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tonight",
        "today",
        "please",
        "suggest",
        "tell",
        "give",
        "let",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
    ]
)

_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(text: str) -> list[str]:
    """The searchable words of *text*, lower-cased, stop words removed, order kept, unique."""
    words = (w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)
    return list(dict.fromkeys(words))


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
    """``(memory_id, bm25)`` best first; bm25 is negated so that larger is better."""
    expression = fts_query(text)
    if expression is None:
        return []
    rows = store.query(
        "SELECT rowid, bm25(memories_fts) AS score FROM memories_fts "
        "WHERE memories_fts MATCH ? ORDER BY score LIMIT ?",
        (expression, limit),
    )
    return [(int(rowid), -float(score)) for rowid, score in rows]
