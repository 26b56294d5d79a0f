"""The learning step's rules without a model: cues, topics, slots, constraints, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lampdesk.memory import cues, refusals
from lampdesk.memory.extract import (
    CONSTRAINT_KINDS,
    constraint_of,
    extract_by_rules,
    rule_topic,
    slot_of,
    statement_clauses,
)
from lampdesk.memory.statements import StatementJudge
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Write a short birthday message for my sister.", "imperative"),
        ("Please suggest a vegan dinner for my husband.", "imperative"),
        ("Can you help me plan my Saturday?", "question"),
        ("what's a good gift for my mum", "question"),
        ("I'd like a recipe for my kids.", "request"),
        ("I need a packing list for my trip.", "request"),
        ("If I were a doctor, I'd work in Denver.", "hypothetical"),
        ("Imagine I live on Mars.", "hypothetical"),
        ("Pretend you are my grandmother.", "role_play"),
        ("Act as my personal trainer.", "role_play"),
        ("My friend said she moved to Denver.", "reported"),
        ("My sister says hi!", "reported"),
        ('He wrote "I am vegan" on the card.', "reported"),
        ("Thanks, that was helpful!", "small_talk"),
        ("Good morning!", "small_talk"),
        ("I think the first one is better.", "conversation"),
        ("I meant the other one.", "conversation"),
        ("Summarise this: I moved to Berlin in May.", "task"),
    ],
)
def test_what_is_not_a_statement_is_turned_down(text: str, cue: str) -> None:
    found = cues.cues(text)
    assert found[cue] and cues.refused(found)
    assert extract_by_rules(text) == []


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I have asthma", "health"),
        ("We relocated to Denver in the spring", "home"),
        ("Keep your replies brief, please", "style"),
        ("Please always answer in French.", "style"),
        ("I just got engaged!", "relationship"),
        ("I'm allergic to shellfish.", "allergy"),
        ("I'm allergic to penicillin.", "health"),
        ("I quit smoking last year.", "health"),
        ("My partner and I bought a house in Leeds.", "home"),
        ("My husband's birthday is in May.", "family"),
        ("I'm 42.", "age"),
        ("We adopted a rescue greyhound.", "pets"),
        ("I'm a huge fan of cricket.", "likes"),
        ("I usually cycle to the office.", "habits"),
        ("I've been learning Korean for a year.", "learning"),
        ("Oh, and by the way, my dad lives in Cork.", "family"),
    ],
)
def test_statements_are_proposed_with_their_topic(text: str, topic: str) -> None:
    assert not cues.refused(cues.cues(text))
    assert [c.topic for c in extract_by_rules(text)] == [topic]


def test_a_standing_instruction_is_a_preference_but_a_one_off_is_not() -> None:
    assert cues.cues("Keep your answers short from now on.")["style"]
    assert cues.cues("I prefer short answers.")["style"]
    assert not cues.cues("Make it shorter.")["style"]
    assert cues.refused(cues.cues("Could you keep your answers short?"))


def test_a_compound_subject_stays_with_its_clause() -> None:
    assert statement_clauses("My wife and I moved to Porto, and I work from home.") == [
        "My wife and I moved to Porto",
        "I work from home.",
    ]


def test_slots_and_constraints() -> None:
    assert slot_of("I'm vegan now.", "diet") == "diet"
    assert slot_of("I don't drink coffee anymore.", "diet") is None
    assert slot_of("I live in Denver.", "home") == "home"
    assert slot_of("I love jazz.", "likes") is None
    assert constraint_of("I'm allergic to peanuts.", "allergy") == "allergy"
    assert constraint_of("I'm allergic to penicillin.", "health") == "allergy"
    assert constraint_of("I have asthma.", "health") == "medical"
    assert constraint_of("I'm vegetarian.", "diet") == "diet"
    assert constraint_of("I don't eat pork.", "diet") == "diet"
    assert constraint_of("I love steak.", "diet") is None
    assert constraint_of("I live in Denver.", "home") is None
    assert set(CONSTRAINT_KINDS) == {"diet", "allergy", "medical"}


def test_without_an_embedder_the_judge_is_the_rules() -> None:
    judge = StatementJudge(None)
    assert not judge.uses_classifier
    text = "I have asthma. Write a poem for my sister."
    assert judge.extract(text) == extract_by_rules(text)
    verdicts = judge.judge(text)
    assert [(v.learned, v.refused_by) for v in verdicts] == [(True, ()), (False, ("imperative",))]


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_cues_survive_any_text(text: str) -> None:
    found = cues.cues(text)
    assert set(found) == set(cues.CUE_NAMES)
    rule_topic(text)


def test_fingerprints_are_keyed_and_ignore_wording_noise(tmp_path: Path) -> None:
    key = ProfileKey(KeyMode.PASSPHRASE, "x")
    with (
        Store.open(tmp_path / "a.db", key, create=True) as a,
        Store.open(tmp_path / "b.db", key, create=True) as b,
    ):
        same = refusals.fingerprint(a, "I love steak!")
        assert same == refusals.fingerprint(a, "i LOVE steak.")
        assert same != refusals.fingerprint(a, "I love tea.")
        assert same != refusals.fingerprint(b, "I love steak!")  # another profile's key
        assert "steak" not in same
