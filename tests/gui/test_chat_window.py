"""Conversations in the real window (offscreen) with the real model and store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from lampdesk.ui import thread_work
from lampdesk.ui.main_window import MainWindow
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]
WAIT = 300_000


def ask(qtbot: QtBot, window: MainWindow, question: str) -> dict[str, Any]:
    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=WAIT)
    window.chat.question.setText(question)
    with qtbot.waitSignal(window.answer_shown, timeout=WAIT) as shown:
        window.chat.submit()
    result: dict[str, Any] = shown.args[0]
    return result


def questions(window: MainWindow) -> list[str]:
    return [m.text for m in window.transcript.messages if m.role == "user"]


def test_new_chat_switching_and_message_actions(qtbot: QtBot, data_dir: Path) -> None:
    session = LampDesk(DataPaths.resolve()).open()
    session.profile.set_setting("gen.max_tokens", "6")  # every answer stops at the limit
    session.close()
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=WAIT)

    first = ask(qtbot, window, "Name a fruit.")
    thread_one = first["thread_id"]
    assert thread_one > 0 and first["stopped_by"] == "length"
    answer = window.transcript.messages[-1]
    assert not answer.continue_button.isHidden() and "length limit" in answer.note.text()
    assert "length limit" in window.status.text()
    answer.copy_button.click()
    assert QGuiApplication.clipboard().text() == first["answer"]
    second = ask(qtbot, window, "Make it shorter.")
    assert second["thread_id"] == thread_one
    assert {"role": "assistant", "content": first["answer"]} in second["messages"]

    window.threads.new_chat()  # File > New chat, Ctrl+N
    assert window.transcript.messages == []
    other = ask(qtbot, window, "Name a colour.")
    assert other["thread_id"] not in (thread_one, 0)
    qtbot.waitUntil(lambda: window.sidebar.thread_ids() == [other["thread_id"], thread_one])

    with qtbot.waitSignal(window.thread_shown, timeout=WAIT):
        window.sidebar.select(thread_one)
    assert questions(window) == ["Name a fruit.", "Make it shorter."]
    assert window.chat.thread_id == thread_one

    # Regenerate: the last answer replaced, the thread still has two exchanges.
    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=WAIT)
    old_last = window.transcript.messages[-1].interaction_id
    with qtbot.waitSignal(window.answer_shown, timeout=WAIT) as regenerated:
        window.transcript.messages[-1].regenerate_button.click()
    assert regenerated.args[0]["interaction_id"] != old_last
    assert questions(window) == ["Name a fruit.", "Make it shorter."]

    # Edit-and-resend the last question.
    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=WAIT)
    last_question = [m for m in window.transcript.messages if m.role == "user"][-1]
    last_question.edit_button.click()
    last_question.editor.setPlainText("Name a vegetable.")
    with qtbot.waitSignal(window.answer_shown, timeout=WAIT) as edited:
        last_question.resend_button.click()
    assert edited.args[0]["question"] == "Name a vegetable."
    assert questions(window) == ["Name a fruit.", "Name a vegetable."]

    # Continue: a turn that goes on from the answer the limit stopped.
    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=WAIT)
    with qtbot.waitSignal(window.answer_shown, timeout=WAIT) as continued:
        window.transcript.messages[-1].continue_button.click()
    assert {"role": "assistant", "content": edited.args[0]["answer"]} in continued.args[0][
        "messages"
    ]
    assert len(questions(window)) == 3

    # Feedback belongs to its own message and shows the state chosen.
    qtbot.waitUntil(window.chat.ask_button.isEnabled, timeout=WAIT)
    first_answer = window.transcript.messages[1]
    first_answer.up.click()
    # Saved by the worker (waiting on its own signal would stop pytest-qt's timer from the
    # worker's thread): the window's own thanks says it is stored.
    qtbot.waitUntil(lambda: "fits you" in window.status.text(), timeout=WAIT)
    qtbot.waitUntil(first_answer.up.isChecked, timeout=WAIT)
    assert not window.transcript.messages[-1].up.isChecked()
    with qtbot.waitSignal(window.thread_shown, timeout=WAIT):
        window.sidebar.select(thread_one)  # painted again from the store: still chosen
    assert window.transcript.messages[1].up.isChecked()

    # Rename, export and delete: typed requests carried out by the worker.
    window.sidebar.rename_requested.emit(thread_one, "Fruit talk")
    qtbot.waitUntil(lambda: "Renamed to “Fruit talk”" in window.status.text(), timeout=WAIT)
    exported = data_dir / "fruit.md"
    window.threads.thread_change_requested.emit(thread_work.ExportThread(thread_one, str(exported)))
    qtbot.waitUntil(lambda: "Exported the conversation" in window.status.text(), timeout=WAIT)
    assert "Name a vegetable." in exported.read_text(encoding="utf-8")
    window.sidebar.delete_requested.emit(other["thread_id"])
    qtbot.waitUntil(lambda: window.sidebar.thread_ids() == [thread_one], timeout=WAIT)
    assert "Deleted the conversation and its 1 exchange(s)." in window.status.text()
    window.shutdown()

    session = LampDesk(DataPaths.resolve()).open()
    try:
        from lampdesk.conversations import Conversations

        turns = Conversations(session.profile).turns(thread_one)
        assert [t.question for t in turns][:2] == ["Name a fruit.", "Name a vegetable."]
    finally:
        session.close()


def test_answer_settings_apply_to_the_next_question(qtbot: QtBot, data_dir: Path) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=WAIT)
    window.dialogs.show_answer_settings()
    qtbot.waitUntil(lambda: "256 tokens" in window.dialogs.answer_length.text(), timeout=WAIT)
    assert window.dialogs.answer_settings.max_tokens.value() == 256  # the default, shown
    window.dialogs.answer_settings.max_tokens.setValue(5)
    window.dialogs.answer_settings.temperature.setValue(0.0)
    window.dialogs.answer_settings._save()
    qtbot.waitUntil(
        lambda: "next answer" in window.dialogs.answer_settings.message.text(), timeout=WAIT
    )
    qtbot.waitUntil(lambda: "5 tokens" in window.dialogs.answer_length.text(), timeout=WAIT)
    result = ask(qtbot, window, "Write a long poem about rivers.")
    assert result["max_tokens"] == 5 and result["tokens"] <= 5
    assert result["stopped_by"] == "length"
    window.shutdown()
