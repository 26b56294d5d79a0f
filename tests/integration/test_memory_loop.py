"""The memory loop through the real parts: SQLCipher store, Chroma, the embedder and SmolLM2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.inference.engine import GenerationSettings
from lampdesk.memory.extract import FACTS_SCHEMA, extraction_messages, validate_facts
from lampdesk.memory.learner import MEMORY_ASK_FIRST, MEMORY_MODEL_EXTRACTION
from lampdesk.paths import DataPaths

pytestmark = [pytest.mark.model, pytest.mark.embedder]
SHORT = GenerationSettings(max_tokens=8)


@pytest.fixture
def session(data_dir: Path, engine: Any, embedder: Any) -> Iterator[Session]:
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    session = app.open()
    yield session
    session.close()


def test_a_statement_in_chat_updates_rather_than_adds(session: Session) -> None:
    steak = session.assistant.remember("I love steak")
    session.assistant.remember("My sister Lena lives in Lisbon")
    result = session.assistant.ask(
        "I'm vegetarian now. What should I cook tonight?", settings=SHORT
    )
    session.assistant.learner.flush()
    texts = sorted(m.text for m in session.profile.memories())
    assert texts == ["I'm vegetarian now.", "My sister Lena lives in Lisbon"]
    assert session.profile.memory_history(steak.id)[0][0] == "I love steak"
    origin = session.store.query(
        "SELECT interaction_id FROM memory_origins WHERE memory_id = ?", (steak.id,)
    )
    assert origin == [(result.interaction_id,)]
    # The next prompt carries the new fact, not the old one.
    after = session.assistant.ask("What do I eat?", settings=SHORT)
    prompt = json.dumps(after.messages)
    assert "vegetarian now" in prompt and "steak" not in prompt


def test_ask_me_first_holds_changes_until_accepted(session: Session) -> None:
    session.profile.set_setting(MEMORY_ASK_FIRST, "on")
    session.assistant.ask("Call me Ana. Any tips for a rainy day?", settings=SHORT)
    session.assistant.learner.flush()
    assert session.profile.memory_count() == 0
    (pending,) = session.profile.proposals()
    assert (pending.action, pending.text) == ("add", "Call me Ana.")
    session.profile.accept(pending.id)
    assert [m.text for m in session.profile.memories()] == ["Call me Ana."]


def test_a_thumbs_down_lowers_the_items_it_used(session: Session) -> None:
    italian = session.assistant.remember("I like Italian food")
    japanese = session.assistant.remember("I like Japanese food")
    session.assistant.retrieval_budget = 8  # room for one item: the answer uses only the best
    first = session.assistant.ask("Do I like Italian food?", settings=SHORT)
    assert [i.id for i in first.items] == [italian.id]

    related = "What kind of food do I like?"
    before = [i.id for i in session.assistant.retriever.search(related, limit=2)]
    session.profile.record_feedback(first.interaction_id, "down")
    after = session.assistant.retriever.search(related, limit=2)
    assert before.index(italian.id) < before.index(japanese.id)
    assert [i.id for i in after] == [japanese.id, italian.id]
    assert after[1].why["feedback"]["weight"] == pytest.approx(0.6)


def test_a_forgotten_memory_is_gone_everywhere(session: Session) -> None:
    secret = session.assistant.remember("My bank PIN is hidden under the blue vase")
    session.assistant.remember("I love hiking in the Alps")
    first = session.assistant.ask("Where is my bank PIN?", settings=SHORT)
    assert "blue vase" in json.dumps(first.messages)
    retriever = session.assistant.retriever
    assert secret.id in retriever.index.ids()

    assert session.profile.forget(secret.id)
    session.assistant.index()
    assert secret.id not in retriever.index.ids()
    for table, column in (
        ("memories", "id"),
        ("memory_vectors", "memory_id"),
        ("interaction_items", "memory_id"),
    ):
        found = session.store.query(f"SELECT 1 FROM {table} WHERE {column} = ?", (secret.id,))
        assert found == [], table
    assert session.store.query(
        "SELECT count(*) FROM retrieval_fts WHERE retrieval_fts MATCH 'vase'"
    ) == [(0,)]
    assert session.store.query("SELECT count(*) FROM prefix_states") == [(0,)]
    again = session.assistant.ask("Where is my bank PIN?", settings=SHORT)
    assert "vase" not in json.dumps(again.messages)


@pytest.mark.parametrize(
    "text",
    [
        "I'm vegetarian now and I live in Berlin with my sister Lea.",
        'He said "quote \\ backslash" and {"json": true} — emoji 🎉, 日本語',
        "What time is it?",
    ],
)
def test_model_extraction_is_always_valid_json(engine: Any, text: str) -> None:
    output = engine.complete_json(extraction_messages(text), FACTS_SCHEMA)
    assert output is not None
    validate_facts(json.loads(output))


def test_a_cut_extraction_is_dropped_not_malformed(engine: Any) -> None:
    text = "I'm vegetarian now and I live in Berlin with my sister Lea."
    assert engine.complete_json(extraction_messages(text), FACTS_SCHEMA, max_tokens=3) is None


def test_model_extraction_in_the_loop_keeps_the_chat_cache(session: Session) -> None:
    session.profile.set_setting(MEMORY_MODEL_EXTRACTION, "on")
    question = "I live in Porto. What should I see there?"
    first = session.assistant.ask(question, settings=SHORT)
    session.assistant.learner.flush()
    assert any(m.topic == "home" for m in session.profile.memories())
    # The extraction ran on the same context, and put the chat's state back afterwards.
    assert session.assistant.engine.cached_tokens() >= first.prompt_tokens
