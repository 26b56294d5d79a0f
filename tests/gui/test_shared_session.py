"""The window's worker and a command forwarded to the running app share one session: what one
changes, the other uses at once (issue 15)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.cli import resident_runner
from lampdesk.paths import DataPaths
from lampdesk.prompting.templates import default_template
from lampdesk.ui.workers import AssistantWorker
from tests.integration.test_sessions import PERSONA, parrot_template

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.embedder]


def test_a_forwarded_template_reset_reaches_the_window_at_once(
    qtbot: QtBot, data_dir: Path, engine: Any, embedder: Any
) -> None:
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    worker = AssistantWorker(app, "default")  # called directly here, on the test's thread
    states: list[dict[str, Any]] = []
    worker.profile_loaded.connect(states.append)
    try:
        worker.edit_profile({"template": parrot_template()})
        assert states[-1].get("saved"), states
        session = worker.session()
        assert session.assistant.builder.template.segments["persona"].strip() == PERSONA
        out, err = io.StringIO(), io.StringIO()
        code = resident_runner(app)(["--profile", "default", "template", "reset"], out, err)
        assert code == 0, err.getvalue()
        assert worker.session() is session
        persona = session.assistant.builder.template.segments["persona"]
        assert persona == default_template().segments["persona"]
    finally:
        app.sessions.close()  # (not worker.close(): the model is the test session's)
