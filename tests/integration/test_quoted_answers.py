"""Quoted answers through the real retriever and SmolLM2: the model picks among the clauses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.paths import DataPaths
from lampdesk.prompting import quotes

pytestmark = [pytest.mark.model, pytest.mark.embedder]


@pytest.fixture
def session(data_dir: Path, engine: Any, embedder: Any) -> Iterator[Session]:
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    session.assistant.remember("My grandma gave me a necklace from her home country, Sweden")
    session.assistant.remember("I went to a pottery class with my sister, it was fun")
    yield session
    session.close()


def test_the_answer_is_the_quote_the_model_prefers(session: Session) -> None:
    question = "What country is my grandma from?"
    result = session.assistant.ask(question, quote=True)
    assert result.grounding is not None
    assert result.grounding["quote"] in quotes.candidates(question, result.items)
    assert result.grounding["quote"] == "Sweden" and "Sweden" in result.answer
    assert result.prompt_tokens > 0 and not result.cancelled


def test_without_anything_to_quote_the_model_answers_freely(session: Session) -> None:
    result = session.assistant.ask("Say hi.", quote=True, personalize=False)
    assert result.items == [] and result.tokens > 0
