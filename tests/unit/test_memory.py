"""The memory loop without a model: rule extraction, update decisions, the store's side."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lampdesk.errors import UsageError
from lampdesk.memory.decide import Existing, decide
from lampdesk.memory.extract import (
    FACTS_SCHEMA,
    TOPICS,
    Candidate,
    SchemaViolation,
    extract_by_rules,
    parse_facts,
)
from lampdesk.memory.learner import MEMORY_ASK_FIRST, MEMORY_ENABLED, MemoryLearner
from lampdesk.profile import (
    WEIGHT_HALF_LIFE_DAYS,
    Interaction,
    Profile,
    UsedItem,
    faded_weight,
)
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    return Profile(Store.open(tmp_path / "p.db", ProfileKey(KeyMode.PASSPHRASE, "x"), create=True))


def topics(text: str) -> list[tuple[str, str, bool]]:
    return [(c.text, c.topic, c.negated) for c in extract_by_rules(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Ana.", [("My name is Ana.", "name", False)]),
        ("call me Ana", [("Call me Ana.", "name", False)]),
        ("I love steak", [("I love steak.", "diet", False)]),
        ("I'm vegetarian now", [("I'm vegetarian now.", "diet", False)]),
        ("I don't eat meat anymore", [("I don't eat meat anymore.", "diet", True)]),
        (
            "I'm vegan, and I live in Berlin with my sister Lea.",
            [
                ("I'm vegan.", "diet", False),
                ("I live in Berlin with my sister Lea.", "home", False),
            ],
        ),
        ("I prefer short answers", [("I prefer short answers.", "style", False)]),
        (
            "I work as a nurse on night shifts",
            [("I work as a nurse on night shifts.", "work", False)],
        ),
        ("My birthday is on 4 June.", [("My birthday is on 4 June.", "birthday", False)]),
        ("I no longer play tennis", [("I no longer play tennis.", "activities", True)]),
        (
            "I have a dentist appointment on Friday",
            [("I have a dentist appointment on Friday.", "plans", False)],
        ),
    ],
)
def test_rules_find_explicit_statements(text: str, expected: list[tuple[str, str, bool]]) -> None:
    assert topics(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What should I eat tonight?",
        "Can you tell me what I like?",
        "I'm not sure what to cook",
        "I'm looking for a good book",
        "Tell me a joke",
        "",
    ],
)
def test_questions_and_requests_are_not_facts(text: str) -> None:
    assert extract_by_rules(text) == []


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_rules_survive_any_text(text: str) -> None:
    for candidate in extract_by_rules(text):
        assert candidate.topic in TOPICS and candidate.text.strip()


def steak() -> list[Existing]:
    return [Existing(1, "I love steak.", "diet"), Existing(2, "I live in Berlin.", "home")]


def test_newer_statement_on_a_single_topic_updates() -> None:
    decision = decide(Candidate("I'm vegetarian now.", "diet"), steak())
    assert (decision.action, decision.memory_id) == ("update", 1)


def test_a_repeat_changes_nothing() -> None:
    decision = decide(Candidate("I really love steak!", "diet"), steak())
    assert (decision.action, decision.memory_id) == ("none", 1)


def test_a_new_topic_adds() -> None:
    assert decide(Candidate("I love hiking.", "likes"), steak()).action == "add"


def test_a_retraction_deletes_and_a_contradiction_updates() -> None:
    existing = [Existing(7, "I play tennis on Sundays.", "activities")]
    retract = decide(Candidate("I no longer play tennis on Sundays.", "activities", True), existing)
    assert (retract.action, retract.memory_id) == ("delete", 7)
    richer = decide(
        Candidate("I play tennis on Sundays with Lea at the club.", "activities"), existing
    )
    assert (richer.action, richer.memory_id) == ("update", 7)


def test_model_output_is_checked_against_the_schema() -> None:
    good = json.dumps({"facts": [{"text": "I live in Porto.", "topic": "home"}]})
    assert parse_facts(good) == [Candidate("I live in Porto.", "home", False, "model")]
    assert parse_facts('{"facts": []}') == []
    for bad in (
        "{",
        '{"facts": [{"text": "x", "topic": "home"}]}',  # too short
        '{"facts": [{"text": "I am here", "topic": "mood"}]}',  # unknown topic
        '{"facts": [], "more": 1}',
        json.dumps({"facts": [{"text": "abc", "topic": "home"}] * 4}),
    ):
        with pytest.raises(SchemaViolation):
            parse_facts(bad)
    assert FACTS_SCHEMA["properties"]["facts"]["maxItems"] == 3


def test_learning_updates_instead_of_adding(profile: Profile) -> None:
    learner = MemoryLearner(profile)
    steak = profile.add_memory("I love steak", topic="diet")
    outcomes = learner.learn(None, "Honestly, I'm vegetarian now.")
    assert [o.decision.action for o in outcomes] == ["update"]
    assert [m.text for m in profile.memories()] == ["I'm vegetarian now."]
    assert profile.memory_history(steak.id)[0][0] == "I love steak"


def test_learning_is_tied_to_its_exchange_and_can_be_turned_off(profile: Profile) -> None:
    interaction = profile.record_interaction(
        Interaction("I live in Porto", "Nice!", False, "m", 1, 1, 1.0, 1.0, False)
    )
    learner = MemoryLearner(profile)
    learner.submit(interaction, "I live in Porto")
    learner.flush()
    learner.close()
    (memory,) = profile.memories()
    assert profile.store.query("SELECT interaction_id FROM memory_origins") == [(interaction,)]
    assert (memory.source, memory.topic) == ("chat", "home")
    profile.set_setting(MEMORY_ENABLED, "off")
    learner.submit(interaction, "My name is Ana")
    learner.flush()
    assert profile.memory_count() == 1


def test_ask_me_first_waits_for_the_user(profile: Profile) -> None:
    profile.set_setting(MEMORY_ASK_FIRST, "on")
    tea = profile.add_memory("I love tea", topic="likes")
    outcomes = MemoryLearner(profile).learn(None, "My name is Ana. I love green tea with mint.")
    assert all(o.proposal_id for o in outcomes) and profile.memory_count() == 1
    actions = {p.action: p for p in profile.proposals()}
    assert set(actions) == {"add", "update"}
    assert actions["update"].current == "I love tea"
    added = profile.accept(actions["add"].id)
    assert added is not None and added.text == "My name is Ana."
    assert profile.reject(actions["update"].id)
    assert profile.proposals() == []
    assert profile.memories([tea.id])[0].text == "I love tea"
    with pytest.raises(UsageError):
        profile.accept(999)


def test_pinned_memories_are_only_proposed_changes(profile: Profile) -> None:
    home = profile.add_memory("I live in Berlin", topic="home")
    profile.set_pinned(home.id, True)
    (outcome,) = MemoryLearner(profile).learn(None, "I live in Paris now")
    assert outcome.proposal_id is not None
    assert profile.memories([home.id])[0].text == "I live in Berlin"
    assert profile.pinned_texts() == ["I live in Berlin"]


def test_forget_removes_every_trace(profile: Profile) -> None:
    memory = profile.add_memory("I love steak", topic="diet")
    profile.edit_memory(memory.id, "I love a good steak")
    interaction = profile.record_interaction(
        Interaction("q", "a", True, "m", 1, 1, 1.0, 1.0, False, [UsedItem(memory.id, 1.0, {})])
    )
    profile.propose("update", "I'm vegan", memory_id=memory.id, interaction_id=interaction)
    profile.save_prefix_state("m", "sha", b"t", b"state")
    assert profile.forget(memory.id)
    for table in ("memories", "memory_history", "memory_proposals", "interaction_items",
                  "prefix_states", "retrieval_fts"):  # fmt: skip
        count = profile.store.query(f"SELECT count(*) FROM {table}")[0][0]
        assert count == 0, table
    assert profile.store.query("SELECT op FROM retrieval_outbox") == [("delete",)]


def test_feedback_scales_the_used_items_and_fades(profile: Profile) -> None:
    used = profile.add_memory("I like tea")
    other = profile.add_memory("I like coffee")
    interaction = profile.record_interaction(
        Interaction("q", "a", True, "m", 1, 1, 1.0, 1.0, False, [UsedItem(used.id, 1.0, {})])
    )
    profile.record_feedback(interaction, "down")
    weights = {m.id: m.weight for m in profile.memories()}
    assert weights == {used.id: pytest.approx(0.6), other.id: 1.0}
    profile.record_feedback(interaction, "up")
    assert profile.memories([used.id])[0].weight == pytest.approx(0.75)
    now = datetime.now(UTC)
    then = (now - timedelta(days=WEIGHT_HALF_LIFE_DAYS)).isoformat()
    assert faded_weight(0.6, then, now) == pytest.approx(0.8)
    assert faded_weight(0.6, now.isoformat(), now) == pytest.approx(0.6)
    with pytest.raises(UsageError):
        profile.record_feedback(interaction, "meh")
