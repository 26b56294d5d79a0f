"""The conversation list and the profile switcher in the real window (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from lampdesk.profile import Interaction
from lampdesk.ui.main_window import MainWindow
from lampdesk.ui.threads_sidebar import THREAD_ROLE
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]


def entries(window: MainWindow) -> list[QListWidgetItem]:
    """The sidebar's conversations and lone exchanges (not its day headers)."""
    items = [window.conversations.item(i) for i in range(window.conversations.count())]
    return [item for item in items if item.data(THREAD_ROLE) is not None]


def test_earlier_questions_and_switching_profiles(qtbot: QtBot, data_dir: Path) -> None:
    app = LampDesk(DataPaths.resolve())
    for name, question in (("default", "What is a good pasta?"), ("work", None)):
        session = app.open(name)
        if question:
            session.profile.record_interaction(
                Interaction(question, "Carbonara.", True, "m", 1, 1, 1.0, 1.0, False)
            )
        session.close()

    window = make_window(qtbot)
    with qtbot.waitSignal(window.history_shown, timeout=60_000):
        pass
    assert [
        window.switcher.profiles.itemText(i) for i in range(window.switcher.profiles.count())
    ] == [
        "default",
        "work",
    ]
    assert len(entries(window)) == 1
    window.threads.show_exchange(entries(window)[0])
    assert "Carbonara." in window.transcript.toPlainText()

    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=60_000)
    with qtbot.waitSignal(window.history_shown, timeout=60_000):
        window.switcher.profiles.setCurrentIndex(1)
        window.switcher.switch_profile(1)
    assert "Profile: work" in window.status.text() and len(entries(window)) == 0

    window.chat.question.setText("Say hi.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000):
        window.chat.submit()
    qtbot.waitUntil(lambda: len(entries(window)) == 1, timeout=60_000)
    window.shutdown()
    work = LampDesk(DataPaths.resolve()).open("work")
    try:
        assert [i["question"] for i in work.profile.interactions()] == ["Say hi."]
    finally:
        work.close()
