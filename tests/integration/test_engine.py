"""The engine and the prompt layer with the real SmolLM2 model through llama.cpp."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.errors import ModelError
from lampdesk.inference.engine import Engine, GenerationSettings, StreamStats
from lampdesk.inference.models import embedded_model_path
from lampdesk.paths import DataPaths
from tests.conftest import files_containing

pytestmark = pytest.mark.model
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a long story about the sea."},
]


@pytest.fixture
def session(data_dir: Path, engine: Engine, embedder: Any) -> Iterator[Session]:
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    session.profile.set_attributes([("name", "Ana"), ("diet", "vegan"), ("city", "Berlin")])
    yield session
    session.close()


def test_blocked_term_never_reaches_the_stream(session: Session) -> None:
    session.profile.add_rule("Do not use the word 'the'.", ["the"])
    streamed: list[str] = []
    result = session.assistant.ask(
        "Describe the sea and the sky in two sentences.",
        on_chunk=streamed.append,
        settings=GenerationSettings(max_tokens=60),
    )
    assert result.blocked_terms, "the model should have tried to say 'the'"
    assert "the" not in "".join(streamed).lower()
    assert "the" not in result.answer.lower()
    assert "Do not use the word" in result.messages[0]["content"]
    assert [r.id for r in result.rules] == [1]


def test_cancel_stops_within_one_token_and_engine_stays_usable(engine: Engine) -> None:
    cancel = threading.Event()
    stats = StreamStats()
    got = []
    for chunk in engine.stream(MESSAGES, GenerationSettings(max_tokens=200), cancel, stats):
        got.append(chunk)
        if len(got) == 5:
            cancel.set()
    assert stats.stopped_by == "cancel" and stats.tokens == 5
    again = "".join(engine.stream(MESSAGES, GenerationSettings(max_tokens=5)))
    assert again


def test_follow_up_reuses_the_stable_prefix(session: Session) -> None:
    first = session.assistant.ask("Suggest a dinner.", settings=GenerationSettings(max_tokens=4))
    second = session.assistant.ask("And a lunch?", settings=GenerationSettings(max_tokens=4))
    assert first.prompt_tokens > 40
    # Everything before the question is shared: only the question and the chat template's few
    # tokens around it are evaluated again.
    evaluated = second.prompt_tokens - second.reused_tokens
    assert evaluated <= len(session.assistant.engine.tokenize("And a lunch?")) + 12


def test_restart_restores_the_saved_prefix(data_dir: Path, embedder: Any) -> None:
    settings = GenerationSettings(max_tokens=4)
    engine = Engine(n_ctx=1024)
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    session.profile.set_attributes([("name", "Zephyrine"), ("diet", "vegan")])
    first = session.assistant.ask("Suggest a dinner.", settings=settings)
    assert not first.prefix_restored
    session.close()
    engine.close()

    engine = Engine(n_ctx=1024)
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    after = session.assistant.ask("What about lunch?", settings=settings)
    session.close()
    engine.close()
    assert after.prefix_restored
    evaluated = after.prompt_tokens - after.reused_tokens
    assert evaluated <= len(engine.tokenize("What about lunch?")) + 12
    assert after.answer
    # The saved state lives in the encrypted database only.
    assert files_containing(data_dir, "vegan", "Zephyrine") == []


def test_corrupt_gguf_is_a_clear_error_and_the_embedded_model_still_answers(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(embedded_model_path().read_bytes()[: 5 * 1024 * 1024])
    with pytest.raises(ModelError, match=r"could not load broken\.gguf"):
        Engine(broken).load()
    fallback = Engine(n_ctx=512)
    assert "".join(fallback.stream(MESSAGES, GenerationSettings(max_tokens=3)))
    fallback.close()
