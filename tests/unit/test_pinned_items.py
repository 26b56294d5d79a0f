"""A pinned memory reaches the prompt once: in the profile segment, never again as an item.

The real retriever (full-text search over a real store; the dense side faked: no model) dates
items on a question about time, so an item's text is not the memory's text then; the
assistant must know the pinned memory by its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lampdesk.assistant import PINNED_ATTRIBUTE, Assistant
from lampdesk.profile import NewItem, Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.prompting.templates import default_template
from lampdesk.retrieval.retriever import Retriever
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store

PINNED = "Caroline: I moved to Lisbon last spring"


class NoVectors:
    """The dense side of retrieval without a model: every item has the same vector and no
    item is ever a dense match, so ranking is full-text search alone."""

    name = "no-vectors"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ids: set[int] = set()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]

    def count(self) -> int:
        return len(self._ids)

    def ids(self) -> set[int]:
        return set(self._ids)

    def upsert(self, pairs: Sequence[tuple[int, Any]]) -> None:
        self._ids.update(mid for mid, _ in pairs)

    def delete(self, ids: Sequence[int]) -> None:
        self._ids.difference_update(ids)

    def query(self, vector: Sequence[float], n: int) -> list[tuple[int, float]]:
        return []


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    store = Store.open(tmp_path / "p.db", ProfileKey(KeyMode.PASSPHRASE, "x"), create=True)
    profile = Profile(store)
    pinned, _other = profile.add_items(
        [
            NewItem(PINNED, happened_at="2023-05-08", turn_ids=("D1:1",)),
            NewItem("Melanie: I painted a lake at sunrise", happened_at="2023-05-08"),
        ]
    )
    assert profile.set_pinned(pinned, True)
    fake = NoVectors(tmp_path / "index")
    retriever = Retriever(profile, fake, fake)  # type: ignore[arg-type]
    builder = PromptBuilder(default_template())
    return Assistant(profile, retriever, builder, engine=None)  # type: ignore[arg-type]


def test_a_pinned_memory_on_a_time_question_is_sent_once(assistant: Assistant) -> None:
    question = "When did Caroline move to Lisbon?"
    attributes, items = assistant.context(question)
    assert attributes[PINNED_ATTRIBUTE] == PINNED
    assert [i.text for i in items if "Lisbon" in i.text] == []
    prompt = assistant.builder.build(question, attributes, items)
    sent = "\n".join(m["content"] for m in prompt.messages)
    assert sent.count("moved to Lisbon") == 1


def test_items_on_a_time_question_show_their_day(assistant: Assistant) -> None:
    _, items = assistant.context("When did Melanie paint a lake?")
    assert [i.text for i in items] == ["(8 May 2023) Melanie: I painted a lake at sunrise"]
    _, items = assistant.context("What did Melanie paint?")
    assert [i.text for i in items] == ["Melanie: I painted a lake at sunrise"]


def test_without_personalisation_nothing_of_the_profile_is_used(assistant: Assistant) -> None:
    assert assistant.context("When did Caroline move to Lisbon?", personalize=False) == ({}, [])
