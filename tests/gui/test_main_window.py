"""The minimal window in a real Qt application (offscreen), answering with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from pytestqt.qtbot import QtBot

from lampdesk.paths import DataPaths
from lampdesk.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.model]


def make_window(qtbot: QtBot) -> MainWindow:
    window = MainWindow(DataPaths.resolve(), "default", passphrase=None)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    return window


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path) -> Iterator[MainWindow]:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=30_000)
    yield window


def test_answer_streams_from_a_worker_thread(qtbot: QtBot, window: MainWindow) -> None:
    assert window.worker.thread() is not QThread.currentThread()
    painted: list[str] = []
    window.transcript.textChanged.connect(lambda: painted.append(window.transcript.toPlainText()))
    window.chat.question.setText("Say hello in three words.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        qtbot.mouseClick(window.chat.ask_button, Qt.MouseButton.LeftButton)
        assert not window.chat.ask_button.isEnabled(), "one question at a time"
    result = shown.args[0]
    assert result["answer"] and result["tokens"] > 0
    assert result["answer"][:10] in window.transcript.toPlainText()
    assert "No profile data was used" in window.status.text()
    qtbot.waitUntil(
        lambda: window.chat.ask_button.isEnabled() and not window.chat.stop_button.isEnabled()
    )
    assert len(painted) >= 2, "the answer should appear while it streams, not only at the end"


def test_stop_button_cancels_mid_answer(qtbot: QtBot, window: MainWindow) -> None:
    window.chat.question.setText("Write a very long story about the sea.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
        qtbot.waitUntil(
            lambda: (
                "LampDesk:" in window.transcript.toPlainText()
                and len(window.transcript.toPlainText().split("LampDesk:")[-1]) > 5
            ),
            timeout=60_000,
        )
        qtbot.mouseClick(window.chat.stop_button, Qt.MouseButton.LeftButton)
    assert shown.args[0]["cancelled"] is True
    assert shown.args[0]["tokens"] < 200
    assert "stopped" in window.status.text()


def test_wrong_passphrase_is_shown(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.shutdown()
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "wrong")
    other = make_window(qtbot)
    try:
        with qtbot.waitSignal(other.error_shown, timeout=30_000) as failed:
            pass
        assert "Wrong passphrase" in failed.args[0]
        assert "Wrong passphrase" in other.status.text()
    finally:
        other.shutdown()  # pytest-qt holds widgets weakly: stop the thread before it goes


def test_why_panel_and_thumbs_up(qtbot: QtBot, data_dir: Path) -> None:
    from lampdesk.app import LampDesk

    seeded = LampDesk(DataPaths.resolve()).open()
    seeded.profile.add_memory("I am allergic to peanuts")
    seeded.close()
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "ready" in window.status.text(), timeout=60_000)
    app = window.worker._app
    assert app is not None and app.engine.loaded and app.embedder.loaded, "warmed up before asking"
    window.chat.question.setText("Which snacks should I avoid because of my allergy?")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
    why = window.why.toPlainText()
    assert "allergic to peanuts" in why and "The exact prompt" in why
    assert "Why this answer?" in window.transcript.toPlainText()
    assert window.chat.thumbs_up.isEnabled()
    qtbot.mouseClick(window.chat.thumbs_up, Qt.MouseButton.LeftButton)
    # (worker signals are not waited on directly: pytest-qt's wait would stop its timer from
    # the worker thread; the window's own reaction is what users see anyway)
    qtbot.waitUntil(lambda: "fits you" in window.status.text(), timeout=10_000)
    window.shutdown()
    check = LampDesk(DataPaths.resolve()).open()
    try:
        assert check.profile.feedback(shown.args[0]["interaction_id"]) == [("up", None)]
    finally:
        check.close()


def test_quick_ask_answers_in_its_popup(qtbot: QtBot, window: MainWindow) -> None:
    window.desktop.quick_ask.popup()
    assert window.desktop.quick_ask.isVisible()
    window.desktop.quick_ask.question.setText("Say hi.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.desktop.quick_ask.question.returnPressed.emit()
    assert window.desktop.quick_ask.answer.text() == shown.args[0]["answer"]


def test_answer_is_rendered_from_markdown(qtbot: QtBot, window: MainWindow) -> None:
    window.transcript.start_answer()
    window.transcript.stream("**bold** and a list:\n\n- one\n- two")
    message = window.transcript.finish_answer(
        {"interaction_id": 0, "answer": "**bold** and a list:\n\n- one\n- two"}
    )
    assert message is not None
    text = window.transcript.toPlainText()
    assert "**" not in text and "bold and a list" in text
    html = message.body.toHtml()
    assert "<b>" in html or "font-weight:700" in html


def test_api_toggle_serves_with_a_token(qtbot: QtBot, window: MainWindow) -> None:
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        window.api.port = probe.getsockname()[1]
    assert not window.api.toggle.isChecked(), "off by default"
    # (started and stopped off the GUI thread: the window waits for neither)
    window.api.toggle.setChecked(True)
    assert window.api.runner is not None
    token = window.api.runner.token
    qtbot.waitUntil(lambda: not window.api.busy(), timeout=15_000)
    assert token in window.api.status.text()
    url = f"http://127.0.0.1:{window.api.port}/v1/models"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    window.api.toggle.setChecked(False)
    assert window.api.runner is None
    qtbot.waitUntil(lambda: not window.api.busy(), timeout=15_000)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


@pytest.mark.logged_errors  # uvicorn logs the address in use
def test_api_on_a_port_in_use_says_so_and_switches_off(qtbot: QtBot, window: MainWindow) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        window.api.port = taken.getsockname()[1]
        window.api.toggle.setChecked(True)
        qtbot.waitUntil(lambda: not window.api.busy(), timeout=30_000)
    assert "could not listen" in window.api.status.text()
    assert not window.api.toggle.isChecked() and window.api.runner is None
    assert window.api.toggle.isEnabled()


def test_sources_work_on_the_thread_that_owns_the_profile(qtbot: QtBot, window: MainWindow) -> None:
    window.dialogs.open_sources()
    dialog = window.dialogs.sources
    assert dialog is not None
    assert dialog.worker.thread() is window.thread_, "never the session from a second thread"
    with qtbot.waitSignal(dialog.list_shown, timeout=60_000) as listed:
        dialog.refresh_requested.emit()
    assert listed.args[0] == 0 and dialog.sources.count() == 0
    dialog.hide()


def test_wrong_passphrase_then_unlock(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lampdesk.app import LampDesk

    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "the right one")
    LampDesk(DataPaths.resolve()).open().close()
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")  # from now on only what is typed in the window
    window = MainWindow(DataPaths.resolve(), "default", passphrase="a wrong one")
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    try:
        qtbot.waitUntil(lambda: window.switcher.unlock_button.isVisible(), timeout=30_000)
        assert "Wrong passphrase" in window.status.text()
        window.switcher.unlock_with("the right one")
        qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=30_000)
        assert not window.switcher.unlock_button.isVisible()
    finally:
        window.shutdown()
