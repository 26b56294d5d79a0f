"""Conversations through the real SQLCipher store, Chroma index and the real small model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.conversations import Chat, Conversations, TemporaryChat
from lampdesk.inference.engine import GenerationSettings
from lampdesk.paths import DataPaths
from lampdesk.vault import portable
from tests.conftest import TEST_PASSPHRASE

pytestmark = [pytest.mark.model, pytest.mark.embedder]
SHORT = GenerationSettings(max_tokens=24)
FAST_KDF = portable.KdfParams(log2_n=12)


@pytest.fixture
def app(data_dir: Path, engine: Any, embedder: Any) -> LampDesk:
    return LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)


@pytest.fixture
def session(app: LampDesk) -> Iterator[Session]:
    session = app.open()
    session.profile.set_attributes([("name", "Ana"), ("diet", "vegan")])
    session.assistant.remember("My sister Lena lives in Lisbon")
    session.assistant.index()
    yield session
    session.close()


def said(messages: list[dict[str, str]], text: str) -> bool:
    return any(text in m["content"] for m in messages)


def a_word_of(text: str) -> str:
    words = re.findall(r"[A-Za-z]{6,}", text)
    assert words, text
    return words[0]


def test_follow_up_has_the_previous_answer_and_reuses_its_prefix(session: Session) -> None:
    chat = Chat(session.assistant)
    first = chat.ask("Suggest a dinner for tonight.", settings=SHORT)
    assert first.thread_id is not None and first.result.answer
    second = chat.ask("Make it shorter.", thread_id=first.thread_id, settings=SHORT)
    assert second.thread_id == first.thread_id
    sent = second.result.messages
    assert {"role": "assistant", "content": first.result.answer} in sent
    assert sent[-1]["content"].endswith("Make it shorter.")
    assert "Suggest a dinner for tonight." in [m["content"].split("\n\n")[-1] for m in sent]
    # The whole first prompt was evaluated already: the second turn starts after it.
    assert second.result.reused_tokens >= first.result.prompt_tokens > 0
    turns = chat.conversations.turns(first.thread_id)
    assert [t.question for t in turns] == ["Suggest a dinner for tonight.", "Make it shorter."]
    assert chat.conversations.thread(first.thread_id).title == "Suggest a dinner for tonight."


def test_two_threads_keep_separate_context(session: Session) -> None:
    chat = Chat(session.assistant)
    cooking = chat.ask("Give me a pasta recipe.", settings=SHORT)
    travel = chat.ask("Plan a weekend in Rome.", settings=SHORT)
    again = chat.ask("Tell me more.", thread_id=travel.thread_id, settings=SHORT)
    sent = again.result.messages
    assert said(sent, travel.result.answer) and said(sent, "Plan a weekend in Rome.")
    assert not said(sent, "pasta recipe") and not said(sent, cooking.result.answer)
    listed = [t.id for t in chat.conversations.threads()]
    assert listed == [travel.thread_id, cooking.thread_id]  # newest first


def test_follow_up_retrieval_uses_the_recent_turns(session: Session) -> None:
    chat = Chat(session.assistant)
    first = chat.ask("Where does my sister live?", settings=SHORT)
    assert any("Lisbon" in i.text for i in first.result.items)
    # "there" alone finds nothing; with the thread's last turn, the sister's city comes back.
    follow = chat.ask("What can I do there?", thread_id=first.thread_id, settings=SHORT)
    assert any("Lisbon" in i.text for i in follow.result.items)
    # Already in the context with the first turn: not repeated in the new question's message.
    assert "Lisbon" not in follow.result.messages[-1]["content"]


def test_thread_survives_restart_export_and_import(app: LampDesk, session: Session) -> None:
    chat = Chat(session.assistant)
    asked = chat.ask("Suggest a vegan breakfast.", settings=SHORT)
    thread_id = asked.thread_id
    assert thread_id is not None
    chat.conversations.rename(thread_id, "Breakfasts")
    word = a_word_of(asked.result.answer)
    data = portable.export_bytes(session.store, session.entry.name, TEST_PASSPHRASE, FAST_KDF)
    session.close()

    reopened = app.open()
    try:
        conversations = Conversations(reopened.profile)
        assert conversations.thread(thread_id).title == "Breakfasts"
        assert conversations.turns(thread_id)[0].answer == asked.result.answer
        follow = Chat(reopened.assistant).ask("Another one?", thread_id=thread_id, settings=SHORT)
        assert said(follow.result.messages, asked.result.answer)
        # merged into the same profile: nothing doubled
        report = portable.merge_into(reopened.store, portable.read_export(data, TEST_PASSPHRASE))
        assert report.added.get("threads", 0) == 0
    finally:
        reopened.close()

    portable.import_profile(app.vault, data, TEST_PASSPHRASE, as_name="copy")
    copy = app.open("copy", create=False)
    try:
        conversations = Conversations(copy.profile)
        assert [t.title for t in conversations.threads()] == ["Breakfasts"]
        assert [t.question for t in conversations.turns(thread_id)] == [
            "Suggest a vegan breakfast."
        ]
        assert [h.thread_id for h in conversations.search(word)] == [thread_id]
    finally:
        copy.close()

    app.open("other").close()
    portable.import_profile(app.vault, data, TEST_PASSPHRASE, merge="other")
    other = app.open("other", create=False)
    try:
        conversations = Conversations(other.profile)
        (merged,) = conversations.threads()
        assert merged.title == "Breakfasts" and merged.turns == 1
        assert conversations.turns(merged.id)[0].answer == asked.result.answer
    finally:
        other.close()


def test_search_finds_an_old_answer_and_delete_removes_its_text(session: Session) -> None:
    chat = Chat(session.assistant)
    old = chat.ask("Suggest a dinner for tonight.", settings=SHORT)
    chat.ask("Name a good book.", settings=SHORT)
    word = a_word_of(old.result.answer)
    hits = chat.conversations.search(word)
    assert old.thread_id in [h.thread_id for h in hits]
    assert chat.conversations.delete(old.thread_id or 0) == 1

    store = session.store
    assert old.thread_id not in [h.thread_id for h in chat.conversations.search(word)]
    assert store.query("SELECT count(*) FROM interactions WHERE question LIKE '%dinner%'") == [(0,)]
    store.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, interactions_fts, row)")
    terms = {str(r[0]) for r in store.query("SELECT term FROM temp.words")}
    assert "dinner" not in terms and "tonight" not in terms
    assert "book" in terms


def test_temporary_chat_stores_and_learns_nothing(session: Session) -> None:
    chat = Chat(session.assistant)
    temporary = TemporaryChat()
    before = session.profile.memory_count()
    first = chat.ask("I love climbing. What should I pack?", temporary=temporary, settings=SHORT)
    second = chat.ask("Make it shorter.", temporary=temporary, settings=SHORT)
    session.assistant.learner.close()
    assert first.thread_id is None and second.thread_id is None
    assert said(second.result.messages, first.result.answer)
    assert session.profile.interactions() == [] and chat.conversations.threads() == []
    assert session.profile.memory_count() == before
    assert "vegan" in second.result.messages[0]["content"]  # the profile was used


def test_long_question_is_cut_with_a_note_and_keeps_the_profile(session: Session) -> None:
    question = "Please read this. " + "Lorem ipsum dolor sit amet. " * 700 + "What is it about?"
    answer = Chat(session.assistant).ask(question, settings=GenerationSettings(max_tokens=4))
    result = answer.result
    assert "vegan" in result.messages[0]["content"]
    assert any(d["what"] == "question" for d in result.dropped)
    assert not any(d["what"] == "attribute" for d in result.dropped)
    (note,) = [w for w in result.warnings if "characters long" in w]
    assert f"{len(question):,}" in note and "fit" in note


def test_answer_stopped_by_the_length_limit_says_so(session: Session) -> None:
    result = (
        Chat(session.assistant)
        .ask("Write a long story about a lighthouse.", settings=GenerationSettings(max_tokens=3))
        .result
    )
    assert result.stopped_by == "length" and result.tokens == 3
    assert any("length limit (3 tokens)" in w for w in result.warnings)


def test_regenerate_edit_and_continue_replace_or_extend_the_last_turn(session: Session) -> None:
    chat = Chat(session.assistant)
    first = chat.ask("Name a fruit.", settings=SHORT)
    thread_id = first.thread_id or 0
    stopped = chat.ask(
        "Describe it at length.", thread_id=thread_id, settings=GenerationSettings(max_tokens=3)
    )
    assert stopped.result.stopped_by == "length"
    again = chat.regenerate(thread_id, settings=GenerationSettings(max_tokens=3, seed=7))
    turns = chat.conversations.turns(thread_id)
    assert [t.question for t in turns] == ["Name a fruit.", "Describe it at length."]
    # the old exchange is gone (SQLite may give the new row the freed id)
    assert turns[-1].interaction_id == again.result.interaction_id
    assert turns[-1].answer == again.result.answer and len(session.profile.interactions()) == 2
    edited = chat.edit_and_resend(thread_id, "Name a vegetable.", settings=SHORT)
    assert [t.question for t in chat.conversations.turns(thread_id)] == [
        "Name a fruit.",
        "Name a vegetable.",
    ]
    assert said(edited.result.messages, first.result.answer)
    more = chat.continue_answer(thread_id, settings=SHORT)
    assert said(more.result.messages, edited.result.answer)
    assert len(chat.conversations.turns(thread_id)) == 3
