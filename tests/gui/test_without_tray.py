"""Without a system tray (offscreen has none) the app says so and works in its window."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_no_tray_is_said_and_closing_quits(qtbot: QtBot, data_dir: Path) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    assert not window.desktop.tray.available and window.desktop.tray.icon is None
    assert (
        window.desktop.tray_note.isVisible() and "No system tray" in window.desktop.tray_note.text()
    )
    assert not window.desktop.close_to_tray.isVisible()
    window.desktop.quick_ask.popup()
    assert window.desktop.quick_ask.isVisible()
    window.desktop.quick_ask.hide()
    window.close()  # no tray to hide in: closing ends the worker
    assert window._shut_down and not window.thread_.isRunning()
