"""Quoted answers' candidates, and the answer evaluation's scoring, without a model."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from lampdesk.evals.answers import declined, load, sample, short_answer, token_f1
from lampdesk.prompting.quotes import (
    NEUTRAL_QUESTION,
    NOT_MENTIONED,
    baseline,
    candidates,
    clauses,
    event_days,
    scored_candidates,
    trim,
)
from lampdesk.retrieval.retriever import RetrievedItem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went to a support group yesterday", ["7 May 2023"]),
        ("We ran a charity race last Sunday!", ["The sunday before 8 May 2023"]),
        ("I gave a talk at school last week", ["The week before 8 May 2023"]),
        ("We're going camping next month", ["June 2023"]),
        ("I painted that sunrise last year", ["2022"]),
        ("I started two years ago", ["2021"]),
        ("I moved here 3 days ago", ["5 May 2023"]),
        ("Back in 2018 I learned to surf", ["2018"]),
    ],
)
def test_relative_days_resolve_against_the_day_they_were_said(
    text: str, expected: list[str]
) -> None:
    assert event_days(text, date(2023, 5, 8)) == [*expected, "8 May 2023"]


def test_clauses_drop_speaker_date_and_photo() -> None:
    text = "(8 May 2023) Caroline: Researching adoption agencies, it's a dream! [photo: a dog]"
    assert clauses(text) == ["Researching adoption agencies", "it's a dream"]


def item(text: str, day: str = "2023-05-08") -> RetrievedItem:
    return RetrievedItem(1, text, 1.0, {}, ("D1:1",), day)


def test_candidates_answer_rather_than_repeat_the_question() -> None:
    found = candidates(
        "What country is Caroline's grandma from?",
        [item("Caroline: My grandma gave me this necklace, it is from my home country, Sweden.")],
    )
    assert "Sweden" in found and "Grandma gave me this necklace" in found
    assert found[-1] == NOT_MENTIONED
    assert all(c.lower() not in ("grandma", "caroline") for c in found)


def test_when_questions_get_days() -> None:
    found = candidates("When did Caroline go to the group?", [item("Caroline: I went yesterday")])
    assert found == ["7 May 2023", "8 May 2023", NOT_MENTIONED]


def test_trim_cuts_what_the_question_already_says() -> None:
    asked = {"resea", "carol"}
    assert trim("I've been researching adoption agencies", asked) == "adoption agencies"
    assert trim("adoption agencies", asked) == "adoption agencies"
    assert trim("Researching it", asked) == ""
    # Endings do not hide a word the question said: "worked" is "work".
    assert trim("Worked with a local organization", {"work"}) == "local organization"


def test_candidates_know_their_item_anchor_and_trimmed_form() -> None:
    found = scored_candidates(
        "What did Caroline research?",
        [
            item("Caroline: I've been researching adoption agencies. What a week!"),
            item("Melanie: I painted a lake sunrise last year."),
        ],
    )
    by_text = {c.text: c for c in found}
    full, short = by_text["Been researching adoption agencies"], by_text["Adoption agencies"]
    assert (full.item, full.anchor) == (short.item, short.anchor) == (0, 1)
    assert by_text["Painted a lake sunrise last year"].item == 1
    assert found[-1].text == NOT_MENTIONED and found[-1].prior() == 0.0
    # Holding the question's word, from the best item and short: ahead before the model speaks.
    assert short.prior() > full.prior() > by_text["Painted a lake sunrise last year"].prior()


def test_days_an_item_gives_itself_come_before_the_day_it_was_said() -> None:
    found = scored_candidates(
        "When did Caroline go to the group?",
        [item("(8 May 2023) Caroline: I went yesterday"), item("Caroline: in 2021", "2023-06-01")],
    )
    assert [c.text for c in found] == [
        "7 May 2023", "8 May 2023", "2021", "1 June 2023", NOT_MENTIONED
    ]  # fmt: skip
    priors = [c.prior() for c in found[:-1]]
    assert priors == sorted(priors, reverse=True)


def test_the_baseline_asks_nothing() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "Notes:\n- a\n\nWhat did I do?"},
    ]
    assert baseline(messages)[-1]["content"] == f"Notes:\n- a\n\n{NEUTRAL_QUESTION}"
    assert messages[-1]["content"].endswith("What did I do?")


@pytest.mark.parametrize(
    ("prediction", "gold", "f1"),
    [
        ("Sweden", "Sweden", 1.0),
        ("The week before 9 June 2023", "the week before 9 June 2023.", 1.0),
        ("Adoption agencies", "Researching adoption agencies", 0.8),
        ("Paris", "Sweden", 0.0),
        ("", "Sweden", 0.0),
    ],
)
def test_token_f1(prediction: str, gold: str, f1: float) -> None:
    assert token_f1(prediction, gold) == pytest.approx(f1)


def test_declining_and_first_lines() -> None:
    assert declined("Not mentioned") and declined("I don't know.")
    assert not declined("Sweden")
    assert short_answer("Sweden\nUser: and then?") == "Sweden"


def test_sampling_is_fixed_by_the_seed(tmp_path: Path) -> None:
    qa = [
        {"question": f"q{i}", "answer": "a", "category": 1 + i % 5, "evidence": ["D1:1"]}
        for i in range(40)
    ]
    conversation = {
        "speaker_a": "A",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [{"speaker": "A", "dia_id": "D1:1", "text": "hello"}],
    }
    (tmp_path / "1.json").write_text(json.dumps({"qa": qa, "conversation": conversation}))
    conversations = load(tmp_path)
    first, second = sample(conversations, 10), sample(conversations, 10)
    assert first == second
    assert sum(q.category != 5 for q in first) == 10
    assert sum(q.category == 5 for q in first) == 2
