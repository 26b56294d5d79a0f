"""Retrieved items as the model sees them: the day an item happened in front of its text,
when the retriever found the day worth showing (questions about time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lampdesk.retrieval.dates import human_day
from lampdesk.retrieval.retriever import RetrievedItem


def item_text(item: RetrievedItem) -> str:
    """``"(8 May 2023) Caroline: ..."`` for a dated item, else its text."""
    return f"({human_day(item.day)}) {item.text}" if item.day is not None else item.text


def for_model(items: Sequence[RetrievedItem]) -> list[RetrievedItem]:
    """*items* with the text the model sees (:func:`item_text`), in the same order: what the
    retriever packs into its budget, the prompt lists and an answer records."""
    return [replace(i, text=item_text(i), day=None) if i.day is not None else i for i in items]
