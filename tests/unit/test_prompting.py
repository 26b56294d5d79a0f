from collections.abc import Sequence

import pytest

from lampdesk.errors import PromptTooLongError, UsageError
from lampdesk.prompting.builder import Message, PromptBuilder
from lampdesk.prompting.templates import default_template, default_template_text, parse_template
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
    assert system["role"] == "system" and user["role"] == "user"
    assert system["content"].index("LampDesk") < system["content"].index("diet: vegan")
    assert "Ana" in system["content"] and "peanuts" not in system["content"]
    assert user["content"].index("peanuts") < user["content"].index("What snack?")
    assert user["content"].endswith("What snack?")
    assert prompt.stable_chars == len(system["content"])
    assert prompt.personalized


def test_same_profile_gives_the_same_system_message() -> None:
    a = builder().build("Q1", ATTRS, ITEMS[:1]).messages
    b = builder().build("Q2", ATTRS, ITEMS[1:]).messages
    assert a[0] == b[0] and a[-1] != b[-1]


def test_few_shot_examples_sit_between_system_and_question() -> None:
    text = default_template_text() + (
        '\n[[examples]]\nuser = "Hi"\nassistant = "Hello {user_name}!"\n'
    )
    template = parse_template(text, "mine.toml")
    prompt = PromptBuilder(template, count_tokens=words).build("Q", ATTRS, ITEMS)
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert prompt.messages[2]["content"] == "Hello Ana!"


def test_example_with_unknown_variable_is_named() -> None:
    text = default_template_text() + '\n[[examples]]\nuser = "{nope}"\nassistant = "x"\n'
    with pytest.raises(UsageError, match=r"\{nope\}"):
        parse_template(text, "mine.toml")


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
    asked = prompt.messages[-1]["content"]
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


def test_generation_settings_are_validated() -> None:
    from lampdesk.inference.engine import GenerationSettings

    assert GenerationSettings().updated({"temperature": "0.9"}).temperature == 0.9
    with pytest.raises(UsageError, match="between"):
        GenerationSettings().updated({"temperature": "7"})
    with pytest.raises(UsageError, match="Unknown generation setting 'bogus'"):
        GenerationSettings().updated({"bogus": "1"})
    with pytest.raises(UsageError, match="must be a number"):
        GenerationSettings().updated({"max_tokens": "many"})


def test_items_appear_in_the_order_they_were_learned() -> None:
    ranked = [ITEMS[1], ITEMS[0]]  # id 9 ranked above id 7
    prompt = builder().build("Q", ATTRS, ranked)
    text = prompt.messages[-1]["content"]
    assert text.index("peanuts") < text.index("every morning")
    assert [i.id for i in prompt.items] == [9, 7], "the result keeps the ranking"
