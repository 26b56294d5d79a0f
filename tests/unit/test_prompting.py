from collections.abc import Sequence

import pytest

from lampdesk.errors import PromptTooLongError, UsageError
from lampdesk.prompting.builder import Message, PromptBuilder
from lampdesk.prompting.templates import default_template, parse_template
from lampdesk.retrieval.retriever import RetrievedItem

ATTRS = {"name": "Ana", "diet": "vegan", "city": "Berlin"}
ITEMS = [
    RetrievedItem(7, "I am allergic to peanuts", 0.03, {}),
    RetrievedItem(9, "I run every morning", 0.02, {}),
]


def words(messages: Sequence[Message]) -> int:
    """A fake tokenizer for prompt logic: one token per word."""
    return sum(len(m["content"].split()) for m in messages)


def builder(limit: int = 10_000) -> PromptBuilder:
    return PromptBuilder(default_template(), count_tokens=words, max_prompt_tokens=limit)


def test_segments_ordered_stable_to_volatile() -> None:
    prompt = builder().build("What snack?", ATTRS, ITEMS)
    system, user = prompt.messages
    assert user == {"role": "user", "content": "What snack?"}
    content = system["content"]
    assert content.index("LampDesk") < content.index("diet: vegan") < content.index("peanuts")
    assert "Ana" in content
    assert prompt.personalized


def test_same_profile_gives_same_prefix() -> None:
    a = builder().build("Q1", ATTRS, ITEMS[:1]).messages[0]["content"]
    b = builder().build("Q2", ATTRS, ITEMS[1:]).messages[0]["content"]
    stable = a[: a.index("peanuts")]
    assert b.startswith(stable[: stable.rindex("\n\n")])


def test_no_personalize_leaves_out_everything() -> None:
    prompt = builder().build("What snack?", ATTRS, ITEMS, personalize=False)
    text = str(prompt.messages)
    assert "vegan" not in text and "peanuts" not in text and "Ana" not in text
    assert not prompt.personalized and prompt.items == []


def test_empty_profile_uses_generic_prompt() -> None:
    prompt = builder().build("Hello", {}, [])
    assert "know nothing about this user" in prompt.messages[0]["content"]
    assert not prompt.personalized


def test_least_relevant_items_dropped_to_fit() -> None:
    full = builder().build("Q", ATTRS, ITEMS)
    prompt = builder(full.prompt_tokens - 1).build("Q", ATTRS, ITEMS)
    assert [i.id for i in prompt.items] == [7]
    assert prompt.dropped == [{"what": "item", "id": 9, "reason": "token budget"}]
    assert prompt.prompt_tokens <= full.prompt_tokens - 1


def test_long_question_is_shortened_in_the_middle_and_recorded() -> None:
    question = "start " + "word " * 100 + "end?"
    prompt = builder(60).build(question, ATTRS, ITEMS)
    assert prompt.prompt_tokens <= 60
    asked = prompt.messages[1]["content"]
    assert asked.startswith("start") and asked.endswith("end?") and "[…]" in asked
    assert [d["what"] for d in prompt.dropped][-1] == "question"
    assert prompt.items == []


def test_template_alone_too_long() -> None:
    with pytest.raises(PromptTooLongError, match="even without the question"):
        builder(5).build("Q", ATTRS, ITEMS)


def test_rules_are_stable_and_come_before_the_profile() -> None:
    from lampdesk.prompting.rules import Rule

    rules = [Rule(1, "Never suggest meat", ("meat",))]
    prompt = builder().build("Q", ATTRS, ITEMS, rules=rules)
    content = prompt.messages[0]["content"]
    assert content.index("Never suggest meat") < content.index("diet: vegan")
    assert (
        content[: prompt.stable_chars].endswith("concise")
        or "peanuts" not in (content[: prompt.stable_chars])
    )


def test_unknown_variable_is_named() -> None:
    text = default_template_text().replace("{tone}", "{mood}")
    with pytest.raises(UsageError, match=r"\{mood\}"):
        parse_template(text, "mine.toml")


def test_missing_segment_is_named() -> None:
    with pytest.raises(UsageError, match="'generic'"):
        parse_template('[segments]\npersona="a"\nprofile="b"\nitems="c"\n', "mine.toml")


def test_invalid_toml() -> None:
    with pytest.raises(UsageError, match="not valid TOML"):
        parse_template("[segments", "mine.toml")


def default_template_text() -> str:
    from importlib import resources

    return (resources.files("lampdesk.resources") / "templates/default.toml").read_text()
