"""The core pipeline in-process, through the real SQLCipher file, Chroma index and models."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.assistant import NO_PROFILE_NOTE
from lampdesk.inference.engine import GenerationSettings
from lampdesk.paths import DataPaths
from tests.conftest import files_containing

pytestmark = [pytest.mark.model, pytest.mark.embedder]
SHORT = GenerationSettings(max_tokens=8)
FACT = "I am allergic to peanuts"


@pytest.fixture
def session(data_dir: Path, engine: Any, embedder: Any) -> Iterator[Session]:
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    session = app.open()
    session.profile.set_attributes([("name", "Ana"), ("diet", "vegan")])
    session.assistant.remember(FACT)
    session.assistant.remember("My sister Lena lives in Lisbon")
    session.assistant.remember("I work as a nurse on night shifts")
    yield session
    session.close()


def test_stored_fact_is_retrieved_and_sent(session: Session) -> None:
    chunks: list[str] = []
    result = session.assistant.ask(
        "Which snacks should I avoid because of my allergy?", on_chunk=chunks.append, settings=SHORT
    )
    assert result.items[0].text == FACT
    assert FACT in result.messages[-1]["content"]
    assert "".join(chunks).strip() == result.answer and result.tokens == len(chunks) > 0
    assert session.profile.interaction_item_ids(result.interaction_id)[0] == result.items[0].id

    bare = session.assistant.ask(
        "Which snacks should I avoid because of my allergy?", personalize=False, settings=SHORT
    )
    assert bare.items == [] and FACT not in str(bare.messages) and "vegan" not in str(bare.messages)


def test_unrelated_memories_stay_out(session: Session) -> None:
    result = session.assistant.ask("Where does my sister live?", settings=SHORT)
    assert [i.text for i in result.items] == ["My sister Lena lives in Lisbon"]


def test_cancel_stops_between_tokens(session: Session) -> None:
    cancel = threading.Event()
    seen: list[str] = []

    def on_chunk(text: str) -> None:
        seen.append(text)
        if len(seen) == 3:
            cancel.set()

    result = session.assistant.ask(
        "Write a long story about a dragon.",
        on_chunk=on_chunk,
        cancel=cancel,
        settings=GenerationSettings(max_tokens=200),
    )
    assert result.cancelled and result.tokens == 3
    rows = session.store.query("SELECT cancelled, tokens FROM interactions")
    assert rows == [(1, 3)]


def test_chroma_holds_ids_and_vectors_only(session: Session, data_dir: Path) -> None:
    session.assistant.index()
    index = session.assistant.retriever.index
    assert index.ids() == {m.id for m in session.profile.memories()}
    chroma = sqlite3.connect(index.path / "chroma.sqlite3")
    try:
        tables = [r[0] for r in chroma.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "embeddings" in tables
        assert chroma.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 3
    finally:
        chroma.close()
    assert files_containing(data_dir, "peanuts", "Lisbon", "nurse", "vegan") == []


def test_forget_reaches_both_indexes(session: Session) -> None:
    session.assistant.index()
    (memory,) = [m for m in session.profile.memories() if m.text == FACT]
    session.profile.forget(memory.id)
    session.assistant.index()
    assert memory.id not in session.assistant.retriever.index.ids()
    result = session.assistant.ask("peanut allergy snacks", settings=SHORT)
    assert FACT not in str(result.messages)


def test_empty_profile_gets_generic_prompt_and_loads_no_embedder(
    data_dir: Path, engine: Any
) -> None:
    from lampdesk.retrieval.dense import Embedder

    embedder = Embedder()
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    result = session.assistant.ask("Hello!", settings=SHORT)
    assert result.answer and not result.personalized and result.note == NO_PROFILE_NOTE
    assert not embedder.loaded
    session.close()


def test_over_long_profile_and_question_still_fit_with_the_cut_recorded(
    session: Session,
) -> None:
    session.profile.set_attributes([(f"note_{i}", "likes long walks " * 20) for i in range(40)])
    question = "Please help me plan my week. " * 400 + "What should I cook tonight?"
    result = session.assistant.ask(question, settings=SHORT)
    engine = session.assistant.engine
    assert result.prompt_tokens <= engine.n_ctx - SHORT.max_tokens
    assert engine.count_tokens(result.messages) == result.prompt_tokens
    cut = {entry["what"] for entry in result.dropped}
    assert {"attribute", "question"} <= cut
    assert result.messages[-1]["content"].endswith("What should I cook tonight?")
    (logged,) = session.profile.request_log()
    assert logged["cut"] == result.dropped
