"""The memory browser and "edit answer" in the real window (offscreen), real model and store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.memory.learner import MEMORY_ASK_FIRST
from lampdesk.paths import DataPaths
from lampdesk.ui.main_window import MainWindow
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.embedder]


def seed(*memories: str, ask_first: bool = False) -> None:
    session = LampDesk(DataPaths.resolve()).open()
    try:
        for text in memories:
            session.profile.add_memory(text)
        if ask_first:
            session.profile.set_setting(MEMORY_ASK_FIRST, "on")
    finally:
        session.close()


def open_browser(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.dialogs.memory_browser.shown_snapshot, timeout=30_000):
        qtbot.mouseClick(window.dialogs.memories_button, Qt.MouseButton.LeftButton)


def test_forgetting_in_the_browser_reaches_the_next_prompt(qtbot: QtBot, data_dir: Path) -> None:
    seed("My bank PIN is hidden under the blue vase", "I love hiking in the Alps")
    window = make_window(qtbot)
    browser = window.dialogs.memory_browser
    open_browser(qtbot, window)
    assert sorted(browser.texts()) == [
        "I love hiking in the Alps",
        "My bank PIN is hidden under the blue vase",
    ]
    assert browser.timeline.counts and sum(c for _, c in browser.timeline.counts) == 2

    with qtbot.waitSignal(browser.shown_snapshot, timeout=10_000):
        browser.search.setText("vase")
    assert browser.texts() == ["My bank PIN is hidden under the blue vase"]

    browser.select_text("My bank PIN is hidden under the blue vase")
    with qtbot.waitSignal(browser.shown_snapshot, timeout=30_000):
        qtbot.mouseClick(browser.forget_button, Qt.MouseButton.LeftButton)
    assert browser.texts() == ["I love hiking in the Alps"]

    window.chat.question.setText("Where is my bank PIN?")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
    assert "vase" not in json.dumps(shown.args[0]["messages"])
    window.shutdown()


def test_pending_memories_are_accepted_and_pins_shown(qtbot: QtBot, data_dir: Path) -> None:
    seed("I love hiking in the Alps", ask_first=True)
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=30_000)
    window.chat.question.setText("Call me Ana. What should I pack for a hike?")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000):
        window.chat.submit()
    browser = window.dialogs.memory_browser

    def pending_shown() -> bool:
        open_browser(qtbot, window)
        return browser.pending.count() == 1

    qtbot.waitUntil(pending_shown, timeout=30_000)  # the learner runs after the answer
    browser.pending.setCurrentRow(0)
    with qtbot.waitSignal(browser.shown_snapshot, timeout=30_000):
        qtbot.mouseClick(browser.accept_button, Qt.MouseButton.LeftButton)
    assert "Call me Ana." in browser.texts() and browser.pending.count() == 0

    browser.select_text("I love hiking in the Alps")
    with qtbot.waitSignal(browser.shown_snapshot, timeout=30_000):
        qtbot.mouseClick(browser.pin_button, Qt.MouseButton.LeftButton)
    pinned = {m["text"]: m["pinned"] for m in browser.memories}
    assert pinned == {"I love hiking in the Alps": True, "Call me Ana.": False}
    window.shutdown()


def test_an_edited_answer_is_stored(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=30_000)
    window.chat.question.setText("Say hi.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *args: ("Hello, Ana!", True))
    qtbot.mouseClick(window.chat.edit_answer, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "your version" in window.status.text(), timeout=10_000)
    window.shutdown()
    check = LampDesk(DataPaths.resolve()).open()
    try:
        feedback = check.profile.feedback(shown.args[0]["interaction_id"])
        assert feedback == [("edit", "Hello, Ana!")]
    finally:
        check.close()


def test_a_fact_forgotten_in_the_browser_is_not_learned_again_by_the_window(
    qtbot: QtBot, data_dir: Path
) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=120_000)
    question = "I have asthma. Which sports suit me?"
    window.chat.question.setText(question)
    with qtbot.waitSignal(window.answer_shown, timeout=600_000):
        window.chat.submit()
    learner = window.worker.session().assistant.learner  # open since the answer
    learner.flush()  # the learner runs after the answer, in its own thread
    browser = window.dialogs.memory_browser
    open_browser(qtbot, window)
    assert browser.texts() == ["I have asthma."]
    browser.select_text("I have asthma.")
    with qtbot.waitSignal(browser.shown_snapshot, timeout=120_000):
        qtbot.mouseClick(browser.forget_button, Qt.MouseButton.LeftButton)
    assert browser.texts() == []

    window.chat.question.setText(question)
    with qtbot.waitSignal(window.answer_shown, timeout=600_000):
        window.chat.submit()
    learner.flush()
    open_browser(qtbot, window)
    assert browser.texts() == [] and browser.pending.count() == 0
    window.shutdown()
