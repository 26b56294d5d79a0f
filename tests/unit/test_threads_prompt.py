"""Threads in the prompt: where earlier turns go, what the budget cuts, what is said about it."""

from collections.abc import Sequence
from types import SimpleNamespace

from lampdesk.conversations import history_from_messages, search_text, title_for
from lampdesk.prompting import limits
from lampdesk.prompting.builder import HistoryTurn, Message, PromptBuilder
from lampdesk.prompting.templates import default_template
from lampdesk.retrieval.retriever import RetrievedItem

ATTRS = {"name": "Ana", "diet": "vegan", "city": "Berlin"}
LISBON = RetrievedItem(3, "My sister lives in Lisbon", 0.03, {})
PEANUTS = RetrievedItem(7, "I am allergic to peanuts", 0.02, {})
TURNS = [
    HistoryTurn("Where does my sister live?", "In Lisbon.", ((3, LISBON.text),), 11),
    HistoryTurn("What is there to see?", "The old town.", (), 12),
]


def words(messages: Sequence[Message]) -> int:
    return sum(len(m["content"].split()) for m in messages)


def builder(limit: int = 10_000) -> PromptBuilder:
    return PromptBuilder(default_template(), count_tokens=words, max_prompt_tokens=limit)


def test_turns_sit_after_the_profile_and_before_the_new_items() -> None:
    prompt = builder().build("And a snack?", ATTRS, [LISBON, PEANUTS], history=TURNS)
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "vegan" in prompt.messages[0]["content"]
    assert prompt.messages[1]["content"].endswith("Where does my sister live?")
    assert LISBON.text in prompt.messages[1]["content"]
    assert prompt.messages[2]["content"] == "In Lisbon."
    last = prompt.messages[-1]["content"]
    # Lisbon is in the context with the first turn already; only the new item comes again.
    assert PEANUTS.text in last and LISBON.text not in last and last.endswith("And a snack?")
    assert prompt.stable_chars == len(prompt.messages[0]["content"])


def test_the_next_turn_extends_the_previous_prompt() -> None:
    first = builder().build("Where does my sister live?", ATTRS, [LISBON])
    second = builder().build("What is there to see?", ATTRS, [LISBON], history=[TURNS[0]])
    assert second.messages[: len(first.messages)] == first.messages


def test_oldest_turns_are_dropped_first_and_recorded() -> None:
    full = builder().build("And a snack?", ATTRS, [], history=TURNS)
    prompt = builder(full.prompt_tokens - 1).build("And a snack?", ATTRS, [], history=TURNS)
    assert prompt.dropped == [{"what": "turn", "interaction_id": 11, "reason": "token budget"}]
    assert "The old town." in str(prompt.messages) and "In Lisbon." not in str(prompt.messages)
    (note,) = limits.cut_notes(prompt.dropped, 100)
    assert "1 oldest exchange" in note


def test_a_long_question_is_cut_before_the_profile_is() -> None:
    plain = builder().build("Q", ATTRS, [])
    question = "start " + "word " * 200 + "end?"
    prompt = builder(plain.prompt_tokens + 60).build(question, ATTRS, [], history=TURNS)
    assert "diet: vegan" in prompt.messages[0]["content"]
    assert [d["what"] for d in prompt.dropped] == ["turn", "turn", "question"]
    (cut,) = [d for d in prompt.dropped if d["what"] == "question"]
    notes = limits.cut_notes(prompt.dropped, 99)
    assert f"{len(question):,} characters long" in notes[0]
    assert f"about {cut['kept_chars']:,} fit" in notes[0]


def test_length_note_only_for_the_length_limit() -> None:
    assert limits.length_note("stop", 256) is None
    note = limits.length_note("length", 256)
    assert note is not None and "256 tokens" in note


def test_api_messages_become_the_thread() -> None:
    def msg(role: str, content: str) -> SimpleNamespace:
        return SimpleNamespace(role=role, content=content)

    messages = [
        msg("system", "be nice"),
        msg("user", "Hi"),
        msg("assistant", "Hello!"),
        msg("user", "Make it shorter"),
    ]
    assert history_from_messages(messages) == [HistoryTurn("Hi", "Hello!")]
    assert history_from_messages(messages[-1:]) == []


def test_follow_up_search_starts_with_the_question() -> None:
    assert search_text("Q", []) is None
    text = search_text("What can I do there?", TURNS) or ""
    assert text.startswith("What can I do there?")
    assert "What is there to see?" in text and "The old town." in text


def test_title_is_the_first_question_cut_at_a_word() -> None:
    assert title_for("  Where   does my sister live? ") == "Where does my sister live?"
    long = title_for("word " * 40)
    assert long.endswith("…") and len(long) <= 61
