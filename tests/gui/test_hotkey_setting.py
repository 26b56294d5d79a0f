"""The quick-ask hotkey chosen in Settings (offscreen: no X11 display, so it cannot be grabbed;
the Xvfb test tests/e2e/test_hotkey.py grabs one for real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lampdesk.paths import DataPaths
from lampdesk.ui.hotkey import HOTKEY_SETTING
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_a_hotkey_that_cannot_be_grabbed_is_said_and_not_kept(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    window.dialogs.show_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog.hotkey_edit.keySequence().toString() == "Ctrl+Shift+Space"  # the default

    dialog.hotkey_edit.clear()
    dialog.hotkey_button.click()
    assert "Press the keys" in dialog.hotkey_note.text()

    dialog.hotkey_edit.setFocus()
    qtbot.keyClick(
        dialog.hotkey_edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier,
    )  # fmt: skip
    assert dialog.hotkey_edit.keySequence().toString() == "Ctrl+Alt+K"
    dialog.hotkey_button.click()
    assert "The system-wide hotkey is off: No X11 display" in dialog.hotkey_note.text()
    assert "hotkey is off" in window.status.text()
    assert dialog.hotkey_edit.keySequence().toString() == "Ctrl+Shift+Space"  # still the one
    saved = DataPaths.resolve().window_settings_file
    assert not saved.exists() or HOTKEY_SETTING not in json.loads(saved.read_text())
    window.shutdown()
