"""Grounded answers by default, through the real retriever and SmolLM2: a question about the
user's own facts is answered from the memory that holds it, or "I don't know"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.inference.engine import GenerationSettings
from lampdesk.paths import DataPaths
from tests.integration.conftest import Cli

pytestmark = [pytest.mark.model, pytest.mark.embedder]
SHORT = GenerationSettings(max_tokens=24)


@pytest.fixture
def session(data_dir: Path, engine: Any, embedder: Any) -> Iterator[Session]:
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    session.profile.set_attributes([("diet", "vegan"), ("city", "Berlin")])
    session.assistant.remember("My sister Lea lives in Porto")
    session.assistant.remember("I'm allergic to peanuts")
    yield session
    session.close()


def test_the_sisters_city_comes_from_the_memory_and_names_it(session: Session) -> None:
    (sister,) = [m for m in session.profile.memories() if "Lea" in m.text]
    result = session.assistant.ask("Where does my sister live?", settings=SHORT)
    assert result.mode == "grounded"
    assert "Porto" in result.answer and "Berlin" not in result.answer
    assert f"memory #{sister.id}" in result.answer
    assert result.grounding is not None
    assert result.grounding["source"] == {"kind": "memory", "ref": str(sister.id),
                                          "text": sister.text}  # fmt: skip
    assert result.as_json()["mode"] == "grounded" and result.tokens > 0


def test_an_unknown_fact_is_not_invented(session: Session) -> None:
    result = session.assistant.ask("What is my blood type?", settings=SHORT)
    assert result.mode == "grounded"
    assert "don't know" in result.answer.lower()
    assert result.grounding is not None and result.grounding["quote"] is None


def test_free_forces_a_generated_answer(session: Session) -> None:
    result = session.assistant.ask("Where does my sister live?", settings=SHORT, mode="free")
    assert result.mode == "free" and result.route["forced"]
    assert result.grounding is None and result.tokens > 0


def test_a_request_carries_the_name_the_profile_knows(session: Session) -> None:
    result = session.assistant.ask("Write a short note to my sister.", settings=SHORT)
    assert result.mode == "free"
    assert result.messages[-1]["content"].endswith("Write a short note to my sister Lea.")
    assert result.route["resolved"][0]["value"] == "Lea"


def test_ask_json_carries_the_mode_and_free_forces_it(cli: Cli) -> None:
    assert cli("profile", "set", "city=Berlin").returncode == 0
    assert cli("remember", "My sister Lea lives in Porto").returncode == 0
    asked = cli("ask", "--json", "Where does my sister live?")
    assert asked.returncode == 0, asked.stderr
    grounded = json.loads(asked.stdout)
    assert grounded["mode"] == "grounded" and "Porto" in grounded["answer"]
    freed = cli("ask", "--json", "--free", "--max-tokens", "8", "Where does my sister live?")
    assert freed.returncode == 0, freed.stderr
    assert json.loads(freed.stdout)["mode"] == "free"
    both = cli("ask", "--quote", "--free", "Where does my sister live?")
    assert both.returncode != 0 and "not allowed with" in both.stderr


PERSONAS = {
    "format": "lampdesk-personas/1",
    "personas": [
        {
            "id": "test",
            "attributes": {"name": "Ines", "city": "Lyon"},
            "memories": ["My brother Hugo lives in Lille."],
            "check": {"forbidden": ["zzzz"]},
            "questions": [
                {"kind": "fact", "q": "Where does my brother live?", "answer": "Lille"},
                {"kind": "uses", "q": "Write a short note to my brother.", "expect": ["Hugo"]},
            ],
        }
    ],
}


def test_eval_persona_builds_and_scores_a_persona(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "personas.json").write_text(json.dumps(PERSONAS))
    done = cli("eval", "persona", "--data", str(folder), "--max-tokens", "12", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "2/2 eval persona" in done.stderr  # progress, as it goes
    for mode in ("personalized", "bare"):
        assert set(report[mode]) >= {"violation_rate", "fact_accuracy", "fact_use_rate"}
    assert report["personalized"]["violation_rate"] is None  # no food question
    assert report["personalized"]["fact_accuracy"] == 1.0
    assert report["personas"][0]["id"] == "test" and report["questions"] == 2
    assert [a["mode"] for a in report["answers"]] == ["grounded", "free"]


def test_eval_persona_rejects_a_folder_without_personas(cli: Cli, tmp_path: Path) -> None:
    done = cli("eval", "persona", "--data", str(tmp_path))
    assert done.returncode != 0 and "no personas" in done.stderr
