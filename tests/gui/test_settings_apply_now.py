"""Settings that apply to the next question, no restart (issue 18, scope 4), in the real window
(offscreen) with the real model: choosing a model and the engine options reload it in the
worker; the system prompt is stored in the profile and used by the next prompt."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.inference.models import EMBEDDED_FILE, ModelRegistry, embedded_model_path
from lampdesk.paths import DataPaths
from lampdesk.ui.main_window import MainWindow
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]
PERSONA = "You are Captain Lamp, a ship's parrot who answers every question in one line."


def second_registration(tmp_path: Path, name: str) -> Path:
    """The embedded SmolLM2 file under another file name (a hard link when the file system
    allows it), registered as *name*: a second model to switch to."""
    target = tmp_path / f"{name}.gguf"
    try:
        os.link(embedded_model_path(), target)
    except OSError:
        shutil.copyfile(embedded_model_path(), target)
    ModelRegistry(DataPaths.resolve()).add(target, name)
    return target


def ask(qtbot: QtBot, window: MainWindow, question: str) -> dict[str, Any]:
    answers: list[dict[str, Any]] = []
    window.answer_shown.connect(answers.append)
    window.chat.question.setText(question)
    window.chat.submit()
    qtbot.waitUntil(lambda: bool(answers), timeout=300_000)
    qtbot.waitUntil(window.chat.ask_button.isEnabled)
    return answers[0]


def model_row(window: MainWindow, name: str) -> int:
    dialog = window.dialogs.settings_dialog
    rows = [dialog.models.item(i).text() for i in range(dialog.models.count())]
    return next(i for i, text in enumerate(rows) if text.startswith(f"{name} "))


def test_a_chosen_model_answers_the_next_question(
    qtbot: QtBot, data_dir: Path, tmp_path: Path
) -> None:
    copy = second_registration(tmp_path, "smol-copy")
    gone = second_registration(tmp_path, "smol-gone")
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    first = ask(qtbot, window, "Say hello in three words.")
    assert first["model"] == EMBEDDED_FILE

    dialog = window.dialogs.settings_dialog
    window.dialogs.show_settings()
    qtbot.waitUntil(lambda: dialog.models.count() == 3, timeout=30_000)
    dialog.models.setCurrentRow(model_row(window, "smol-copy"))
    dialog.use_button.click()
    assert dialog.progress.isVisible() and "Loading smol-copy" in dialog.message.text()
    qtbot.waitUntil(lambda: "is loaded" in dialog.message.text(), timeout=120_000)
    assert not dialog.progress.isVisible()
    assert "(in use)" in dialog.models.item(model_row(window, "smol-copy")).text()
    assert ModelRegistry(DataPaths.resolve()).active().name == "smol-copy"
    assert window.lampdesk.engine.model_path == copy

    second = ask(qtbot, window, "Say hello in three words.")
    assert second["model"] == copy.name and second["answer"], "answered by the new model"

    # A file gone since it was added: said plainly, and the model in use keeps answering.
    gone.unlink()
    dialog.models.setCurrentRow(model_row(window, "smol-gone"))
    dialog.use_button.click()
    qtbot.waitUntil(lambda: "does not exist" in dialog.message.text(), timeout=60_000)
    assert ModelRegistry(DataPaths.resolve()).active().name == "smol-copy"
    third = ask(qtbot, window, "Name a colour.")
    assert third["model"] == copy.name and third["answer"]

    # Threads and context length: reloaded now, and the prompt budget follows the new context.
    dialog.threads.setValue(1)
    dialog.context.setValue(4096)
    dialog.engine_button.click()
    qtbot.waitUntil(lambda: "Reloaded: 1 thread" in dialog.message.text(), timeout=120_000)
    engine = window.lampdesk.engine
    assert (engine.n_threads, engine.n_ctx, engine.model_path) == (1, 4096, copy)
    fourth = ask(qtbot, window, "Name a fruit.")
    assert fourth["model"] == copy.name and fourth["answer"]
    window.shutdown()


def test_the_system_prompt_is_edited_in_the_window(qtbot: QtBot, data_dir: Path) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    settings = window.dialogs.answer_settings
    window.dialogs.show_answer_settings()
    qtbot.waitUntil(lambda: "LampDesk" in settings.persona.toPlainText(), timeout=30_000)
    template_persona = settings.persona.toPlainText()
    buttons = settings.findChild(QDialogButtonBox)
    save = buttons.button(QDialogButtonBox.StandardButton.Save)

    settings.persona.setPlainText("You are {nobody}.")
    save.click()
    qtbot.waitUntil(lambda: "unknown variable {nobody}" in settings.message.text())

    settings.persona.setPlainText(PERSONA)
    settings.max_tokens.setValue(24)  # saved together with the system prompt
    save.click()
    qtbot.waitUntil(lambda: "Saved" in settings.message.text())
    answer = ask(qtbot, window, "Who are you?")
    assert answer["tokens"] <= 24
    assert answer["messages"][0]["role"] == "system"
    assert answer["messages"][0]["content"].startswith(PERSONA)
    window.shutdown()

    app = LampDesk(DataPaths.resolve())
    session = app.open("default")
    try:
        assert session.persona() == PERSONA  # kept in the profile's encrypted settings
        assert session.template().segments["persona"] == PERSONA
        session.set_persona("")
        assert session.persona() == template_persona  # cleared: the template's own again
    finally:
        session.close()
        app.close()
