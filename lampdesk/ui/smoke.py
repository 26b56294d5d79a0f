"""``lampdesk --smoke``: start the real GUI, stream one answer, open quick ask, quit, report.

Prints one JSON line: ``window_shown_ms`` (from the start of ``main``), ``first_token_ms`` (from
the question), ``max_event_loop_stall_ms`` (a timer probe while streaming), ``errors`` (Qt
warnings, failures) and what is on screen.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from typing import Any

from lampdesk.paths import DataPaths
from lampdesk.resident import Commands
from lampdesk.ui.qt import QApplication, QElapsedTimer, QTimer, QtMsgType, qInstallMessageHandler
from lampdesk.vault.keys import ENV_PASSPHRASE, keyring_usable

QUICK_QUESTION = "Say hi in two words."
QUESTION = "Say hello in five words."
PROBE_INTERVAL_MS = 5
TIMEOUT_MS = 180_000
#: Messages from Qt platforms that lack a feature (offscreen, minimal); not LampDesk errors.
IGNORED = ("This plugin does not support",)


def run_smoke(
    data_dir: str | None,
    profile: str,
    started: float,
    screenshot: str | None = None,
    commands: Commands | None = None,
) -> int:
    temporary = None
    if data_dir is None:
        temporary = tempfile.mkdtemp(prefix="lampdesk-smoke-")
        data_dir = temporary
    if os.environ.get(ENV_PASSPHRASE) is None and not keyring_usable():
        os.environ[ENV_PASSPHRASE] = secrets.token_hex(16)  # a throwaway profile
    report: dict[str, Any] = {"errors": []}

    def on_message(kind: QtMsgType, context: object, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and not message.startswith(IGNORED):
            report["errors"].append(f"Qt: {message}")

    qInstallMessageHandler(on_message)
    try:
        code = _run(DataPaths.resolve(data_dir), profile, started, report, screenshot, commands)
    finally:
        qInstallMessageHandler(None)
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print(json.dumps(report), flush=True)
    return code


def _run(
    paths: DataPaths,
    profile: str,
    started: float,
    report: dict[str, Any],
    screenshot: str | None,
    commands: Commands | None,
) -> int:
    from lampdesk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    window = MainWindow(paths, profile, os.environ.get(ENV_PASSPHRASE), commands=commands)
    window.show()
    app.processEvents()
    report["window_shown_ms"] = round((time.perf_counter() - started) * 1000, 1)
    report["tray_available"] = window.desktop.tray.available

    probe = QTimer()
    probe.setInterval(PROBE_INTERVAL_MS)
    clock = QElapsedTimer()
    stalls: list[float] = [0.0]

    def tick() -> None:
        stalls.append(max(0.0, clock.restart() - PROBE_INTERVAL_MS))

    probe.timeout.connect(tick)
    asked_at: list[float] = []

    def ask() -> None:
        window.chat.question.setText(QUESTION)
        window.chat.submit()  # paints the question synchronously
        asked_at.append(time.perf_counter())
        window.transcript.textChanged.connect(first_paint)
        clock.start()
        probe.start()

    def first_paint() -> None:
        # The first change after the question is the first streamed text on screen.
        if "first_token_ms" not in report:
            report["first_token_ms"] = round((time.perf_counter() - asked_at[0]) * 1000, 1)

    def finish() -> None:
        window.shutdown()
        window.close()
        app.quit()

    def answered(result: dict[str, Any]) -> None:
        if "answer_tokens" in report:  # the second answer: the one asked from quick ask
            report["quick_ask_answered"] = bool(window.desktop.quick_ask.answer.text().strip())
            window.desktop.quick_ask.close()
            QTimer.singleShot(0, finish)
            return
        probe.stop()
        report["max_event_loop_stall_ms"] = round(max(stalls), 1)
        report["answer_tokens"] = result["tokens"]
        report["answer_on_screen"] = result["answer"][:40] in window.transcript.toPlainText()
        if screenshot:
            report["screenshot_saved"] = window.grab().save(screenshot)
        # Quick ask as a user opens it: from the tray icon's menu where there is a tray.
        menu = (
            window.desktop.tray.icon.contextMenu() if window.desktop.tray.icon is not None else None
        )
        if menu is not None and menu.actions():
            menu.actions()[0].trigger()
        else:
            window.desktop.quick_ask.popup()
        report["quick_ask_shown"] = window.desktop.quick_ask.isVisible()
        ask_quickly()

    def ask_quickly() -> None:
        if not window.chat.ask_button.isEnabled():  # the first answer is still being wrapped up
            QTimer.singleShot(20, ask_quickly)
            return
        window.desktop.quick_ask.question.setText(QUICK_QUESTION)
        window.desktop.quick_ask.question.returnPressed.emit()

    def failed(message: str) -> None:
        report["errors"].append(message.splitlines()[0])
        QTimer.singleShot(0, finish)

    def timed_out() -> None:
        report["errors"].append(f"no answer within {TIMEOUT_MS / 1000:.0f} s")
        finish()

    window.ready_shown.connect(ask)
    window.answer_shown.connect(answered)
    window.error_shown.connect(failed)
    QTimer.singleShot(TIMEOUT_MS, timed_out)
    app.exec()
    window.shutdown()
    return 1 if report["errors"] else 0
