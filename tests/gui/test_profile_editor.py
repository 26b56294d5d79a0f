"""The profile editor in the real window (offscreen): validation inline, all-or-nothing saves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_profile_edits_are_validated_then_used(qtbot: QtBot, data_dir: Path) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    editor = window.dialogs.profile_editor
    with qtbot.waitSignal(editor.shown_state, timeout=30_000):
        qtbot.mouseClick(window.dialogs.profile_button, Qt.MouseButton.LeftButton)
    assert editor.attribute_pairs() == [] and "[segments]" in editor.template.toPlainText()

    editor.add_attribute("city", "Lisbon")
    editor.new_rule.setText("Always answer in one sentence.")
    editor._add_rule()
    editor.template.setPlainText(editor.template.toPlainText().replace("{tone}", "{mood}"))
    with qtbot.waitSignal(editor.shown_state, timeout=30_000):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "{mood}" in editor.template_error.text() and "Not saved" in editor.status.text()

    editor.template.setPlainText(editor.template.toPlainText().replace("{mood}", "{tone}"))
    editor.memory_enabled.setChecked(False)
    with qtbot.waitSignal(editor.shown_state, timeout=30_000):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.status.text() == "Saved." and editor.template_error.text() == ""
    assert editor.attribute_pairs() == [("city", "Lisbon")] and editor.rules.count() == 1

    window.chat.question.setText("Where do I live?")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
    prompt = json.dumps(shown.args[0]["messages"])
    assert "Lisbon" in prompt and "Always answer in one sentence." in prompt
    window.shutdown()
    session = LampDesk(DataPaths.resolve()).open()
    try:
        assert session.profile.setting("memory.enabled") == "off"
    finally:
        session.close()
