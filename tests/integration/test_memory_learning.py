"""What the memory loop learns, through the real parts: the SQLCipher store, the MiniLM embedder
(ONNX Runtime) and its statement classifier, and for the ask path the real SmolLM2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.inference.engine import GenerationSettings
from lampdesk.memory.learner import MEMORY_ASK_FIRST, MemoryLearner
from lampdesk.memory.refusals import CONVERSATION_GAP_S
from lampdesk.paths import DataPaths
from lampdesk.profile import Interaction, Profile
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store
from tests.integration.conftest import Cli

pytestmark = pytest.mark.embedder
SHORT = GenerationSettings(max_tokens=8)
PROBE = Path(__file__).parent.parent / "data" / "memory_probe.json"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    store = Store.open(tmp_path / "p.db", ProfileKey(KeyMode.PASSPHRASE, "pw"), create=True)
    yield Profile(store)
    store.close()


@pytest.fixture
def learner(profile: Profile, embedder: Any) -> MemoryLearner:
    learner = MemoryLearner(profile, embedder=embedder)
    assert learner.judge.uses_classifier
    return learner


@pytest.mark.parametrize(
    "text",
    [
        "Write a short birthday message for my sister.",
        "Write a birthday message for my sister",
        "Suggest a dinner for tonight.",
        "Could you keep your replies brief?",
        "If I were vegan, what would I eat for breakfast?",
        "Pretend you are my grandmother.",
        "My friend said she moved to Denver.",
        "Thanks, good morning!",
        "Make it shorter.",
    ],
)
def test_requests_and_other_non_statements_are_not_learned(
    learner: MemoryLearner, profile: Profile, text: str
) -> None:
    assert learner.learn(None, text) == []
    assert profile.memory_count() == 0 and profile.proposals() == []


@pytest.mark.parametrize(
    ("text", "topic", "constraint"),
    [
        ("I have asthma", "health", "medical"),
        ("We relocated to Denver in the spring", "home", None),
        ("Keep your replies brief, please", "style", None),
        ("I just got engaged!", "relationship", None),
        ("I'm allergic to peanuts.", "allergy", "allergy"),
        ("I'm vegan now.", "diet", "diet"),
    ],
)
def test_statements_about_the_user_are_learned_with_their_topic(
    learner: MemoryLearner, profile: Profile, text: str, topic: str, constraint: str | None
) -> None:
    (outcome,) = learner.learn(None, text)
    assert outcome.decision.action == "add"
    (memory,) = profile.memories()
    assert (memory.topic, memory.constraint) == (topic, constraint)
    assert memory.text.rstrip(".!").lower() == text.rstrip(".!").lower()


def test_a_statement_inside_a_request_is_learned_alone(
    learner: MemoryLearner, profile: Profile
) -> None:
    learner.learn(None, "I have asthma. Suggest an exercise plan for my sister and me.")
    assert [(m.text, m.topic) for m in profile.memories()] == [("I have asthma.", "health")]


def test_an_update_keeps_the_older_text_in_the_history(
    learner: MemoryLearner, profile: Profile
) -> None:
    (first,) = learner.learn(None, "I live in Boston.")
    assert first.memory_id is not None
    (second,) = learner.learn(None, "We relocated to Denver in the spring.")
    assert (second.decision.action, second.memory_id) == ("update", first.memory_id)
    assert [m.text for m in profile.memories()] == ["We relocated to Denver in the spring."]
    assert [h[0] for h in profile.memory_history(first.memory_id)] == ["I live in Boston."]


def test_a_diet_slot_is_updated_but_other_diet_facts_are_kept(
    learner: MemoryLearner, profile: Profile
) -> None:
    learner.learn(None, "I'm vegetarian.")
    learner.learn(None, "I don't drink coffee anymore.")
    learner.learn(None, "I'm vegan now.")
    texts = sorted(m.text for m in profile.memories())
    assert texts == ["I don't drink coffee anymore.", "I'm vegan now."]


def exchange(profile: Profile, question: str) -> int:
    return profile.record_interaction(
        Interaction(question, "ok", False, "m", 1, 1, 1.0, 1.0, False)
    )


def test_a_forgotten_memory_is_not_learned_again_in_its_conversation(
    learner: MemoryLearner, profile: Profile
) -> None:
    first = exchange(profile, "I have asthma. Which sports suit me?")
    (outcome,) = learner.learn(first, "I have asthma. Which sports suit me?")
    assert outcome.memory_id is not None
    assert profile.forget(outcome.memory_id)
    # The fingerprint is kept, never the words.
    assert "asthma" not in json.dumps(profile.store.query("SELECT * FROM memory_refusals"))
    # The same exchange learned from again, then the same question asked again.
    assert learner.learn(first, "I have asthma. Which sports suit me?") == []
    again = exchange(profile, "I have asthma. Which sports suit me?")
    assert learner.learn(again, "I have asthma! Which sports suit me?") == []
    assert profile.memory_count() == 0
    # Other statements are still learned.
    assert [o.decision.action for o in learner.learn(again, "I live in Denver.")] == ["add"]


def test_said_again_after_a_long_pause_it_is_stated_anew(
    learner: MemoryLearner, profile: Profile
) -> None:
    (outcome,) = learner.learn(exchange(profile, "I have asthma."), "I have asthma.")
    assert outcome.memory_id is not None
    profile.forget(outcome.memory_id)
    with profile.store.transaction():  # the conversation ended long ago
        long_ago = datetime.now(UTC) - timedelta(seconds=CONVERSATION_GAP_S * 2)
        profile.store.execute("UPDATE memory_refusals SET seen_at = ?", (long_ago.isoformat(),))
    later = exchange(profile, "I have asthma.")
    assert [o.decision.action for o in learner.learn(later, "I have asthma.")] == ["add"]
    assert profile.store.query("SELECT count(*) FROM memory_refusals") == [(0,)]


def test_a_rejected_pending_memory_is_not_proposed_again(
    learner: MemoryLearner, profile: Profile
) -> None:
    profile.set_setting(MEMORY_ASK_FIRST, "on")
    first = exchange(profile, "I just got engaged!")
    (outcome,) = learner.learn(first, "I just got engaged!")
    assert outcome.proposal_id is not None
    assert profile.reject(outcome.proposal_id)
    assert learner.learn(exchange(profile, "I just got engaged!"), "I just got engaged!") == []
    assert profile.proposals() == [] and profile.memory_count() == 0


def test_a_retraction_in_chat_is_not_a_refusal(learner: MemoryLearner, profile: Profile) -> None:
    learner.learn(None, "I play tennis on Sundays.")
    (taken_back,) = learner.learn(None, "I no longer play tennis on Sundays.")
    assert taken_back.decision.action == "delete"
    assert profile.store.query("SELECT count(*) FROM memory_refusals") == [(0,)]
    assert [o.decision.action for o in learner.learn(None, "I play tennis on Sundays.")] == ["add"]


@pytest.fixture
def session(data_dir: Path, engine: Any, embedder: Any) -> Iterator[Session]:
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    session = app.open()
    yield session
    session.close()


@pytest.mark.model
def test_through_ask_a_request_is_not_learned_and_a_forgotten_fact_stays_forgotten(
    session: Session,
) -> None:
    assistant = session.assistant
    assistant.ask("Write a short birthday message for my sister.", settings=SHORT)
    assistant.learner.flush()
    assert session.profile.memory_count() == 0
    question = "I have asthma. Which sports suit me?"
    assistant.ask(question, settings=SHORT)
    assistant.learner.flush()
    (memory,) = session.profile.memories()
    assert (memory.text, memory.topic, memory.constraint) == ("I have asthma.", "health", "medical")
    session.profile.forget(memory.id)
    assistant.index()
    assistant.ask(question, settings=SHORT)
    assistant.learner.flush()
    assert session.profile.memory_count() == 0


def test_eval_memory_reports_precision_recall_topics_and_time(cli: Cli) -> None:
    done = cli("eval", "memory", "--data", str(PROBE), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["utterances"] == 80 and report["facts"] == 40 and report["classifier"]
    for key in ("precision", "recall", "f1", "topic_accuracy", "ms_per_utterance"):
        assert isinstance(report[key], float), key
    assert set(report["halves"]) == {"even", "odd"}
    # Wordings written apart from the classifier's examples: it generalises.
    assert report["precision"] >= 0.9 and report["recall"] >= 0.85
    rules = json.loads(cli("eval", "memory", "--data", str(PROBE), "--json", "--rules-only").stdout)
    assert rules["classifier"] is False and rules["recall"] < report["recall"]
    bad = cli("eval", "memory", "--data", str(PROBE.parent / "nothing-here"))
    assert bad.returncode != 0 and "does not exist" in bad.stderr
