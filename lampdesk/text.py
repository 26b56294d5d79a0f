"""Words: how search, quoting and memory split texts into words, stems and stop words.

The lowest layer (it imports nothing of LampDesk), so the profile, retrieval, prompting and
memory all read words from one place. Three readings, each kept exactly as its users need it:
:func:`words` (any script, for search), :func:`ascii_words` and :func:`stems` (grounded quotes),
:func:`content_words` (what a statement is about, apostrophes kept: "don't", "i'm").
"""

from __future__ import annotations

import re

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

_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_STATEMENT_WORDS = re.compile(r"[a-z0-9']+")
#: Words that say nothing about what a statement is about (negation included: polarity is
#: compared on its own).
_NOT_CONTENT = STOP_WORDS | {
    "i'm", "im", "now", "really", "don't", "anymore", "longer", "never", "like", "likes",
    "love", "loves", "enjoy", "prefer", "hate", "dislike", "adore",
}  # fmt: skip


def content_words(text: str) -> frozenset[str]:
    """What a statement is about: its lower-cased words without stop words and attitude verbs."""
    return frozenset(w for w in _STATEMENT_WORDS.findall(text.lower()) if w not in _NOT_CONTENT)


def words(text: str) -> list[str]:
    """The words of *text* in any script, lower-cased, in order."""
    return _WORD.findall(text.lower())


def ascii_words(text: str) -> list[str]:
    """The runs of ASCII letters and digits of *text*, lower-cased, in order."""
    return _ASCII_WORD.findall(text.lower())


def stem(word: str) -> str:
    """A crude stem: an ending off, then five letters ("worked" and "work", "dancing" and
    "dance", "researching" and "research" meet)."""
    for ending in ("ing", "ed", "es", "s", "e"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return word[:5]


def stems(text: str) -> set[str]:
    """The stems of *text*'s ASCII words that are not stop words."""
    return {stem(w) for w in ascii_words(text) if w not in STOP_WORDS}
