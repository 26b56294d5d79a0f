"""A first, minimal LampDesk window: ask, watch the answer stream, stop."""

from __future__ import annotations

import html
import os
import sys
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lampdesk.paths import DataPaths
from lampdesk.ui.workers import AssistantWorker
from lampdesk.vault.keys import ENV_PASSPHRASE, KeyMode, choose_mode_for_new_profile
from lampdesk.vault.profiles import ProfileRegistry

#: How often streamed text is painted: batching keeps the window responsive.
FLUSH_INTERVAL_MS = 50


class MainWindow(QMainWindow):
    ask_requested = Signal(str, bool)
    open_requested = Signal()
    #: Emitted on the GUI thread once an answer (or an error) has been painted.
    answer_shown = Signal(dict)
    error_shown = Signal(str)

    def __init__(self, paths: DataPaths, profile: str, passphrase: str | None) -> None:
        super().__init__()
        self.setWindowTitle("LampDesk")
        self.resize(760, 560)
        self._pending = ""
        self._answer = ""
        self._shut_down = False

        self.transcript = QTextBrowser()
        self.transcript.setOpenExternalLinks(False)
        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask LampDesk…")
        self.ask_button = QPushButton("Ask")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.personalize = QCheckBox("Use my profile")
        self.personalize.setChecked(True)
        self.status = QLabel("Everything stays on this computer.")

        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout()
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)
        layout.addWidget(self.personalize)
        layout.addWidget(self.status)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

        self.thread_ = QThread(self)
        self.thread_.setObjectName("lampdesk-assistant")
        self.worker = AssistantWorker(paths, profile, passphrase)
        self.worker.moveToThread(self.thread_)
        self.ask_requested.connect(self.worker.ask)
        self.open_requested.connect(self.worker.open_profile)
        self.worker.opened.connect(self._on_opened)
        self.worker.chunk.connect(self._on_chunk)
        self.worker.answered.connect(self._on_answered)
        self.worker.failed.connect(self._on_failed)
        self.worker.busy.connect(self._on_busy)
        self.thread_.start()

        self.ask_button.clicked.connect(self.submit)
        self.question.returnPressed.connect(self.submit)
        self.stop_button.clicked.connect(self.stop)
        QShortcut(QKeySequence("Escape"), self, self.stop)
        self.open_requested.emit()

    @Slot()
    def submit(self) -> None:
        question = self.question.text().strip()
        if not question or not self.ask_button.isEnabled():
            return
        self.question.clear()
        self._answer = ""
        self.ask_button.setEnabled(False)
        self.status.setText("Thinking… (the first answer also loads the model)")
        self.transcript.append(f"<p><b>You:</b> {html.escape(question)}</p>")
        self.transcript.append("<b>LampDesk:</b> ")
        self.ask_requested.emit(question, self.personalize.isChecked())

    @Slot()
    def stop(self) -> None:
        """Cancel the running answer now: a direct call, not queued behind the generation."""
        self.worker.cancel()

    @Slot(str)
    def _on_opened(self, name: str) -> None:
        self.status.setText(f"Profile: {name} · everything stays on this computer.")

    @Slot(str)
    def _on_chunk(self, text: str) -> None:
        self._pending += text

    @Slot()
    def _flush(self) -> None:
        if self._pending:
            self._answer += self._pending
            cursor = self.transcript.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(self._pending)
            self._pending = ""
            self.transcript.ensureCursorVisible()

    @Slot(dict)
    def _on_answered(self, result: dict[str, Any]) -> None:
        self._flush()
        used = len(result["items"])
        note = result["note"] or f"personalised with {used} remembered item(s)"
        first = result["ttft_ms"]
        timing = f"first word after {first / 1000:.1f} s" if first is not None else "no output"
        stopped = " · stopped" if result["cancelled"] else ""
        self.status.setText(f"{note} · {result['tokens']} tokens · {timing}{stopped}")
        self.answer_shown.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._flush()
        self.transcript.append(f"<p style='color:#b00020'>{html.escape(message)}</p>")
        self.status.setText(message.splitlines()[0])
        self.error_shown.emit(message)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.ask_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        if busy:
            self._flush_timer.start()
        else:
            self._flush_timer.stop()
            self._flush()

    def shutdown(self) -> None:
        """Stop any answer, end the worker thread and close the profile (safe to call twice)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.worker.cancel()
        self.thread_.quit()
        self.thread_.wait()
        self.worker.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _passphrase_for(paths: DataPaths, profile: str, parent: QWidget | None) -> str | None:
    """Ask on the GUI thread, before any work starts, when the profile needs a passphrase."""
    if os.environ.get(ENV_PASSPHRASE) is not None:
        return os.environ[ENV_PASSPHRASE]
    entry = ProfileRegistry(paths).find(profile)
    mode = entry.key_mode if entry else choose_mode_for_new_profile()
    if mode is KeyMode.KEYRING:
        return None
    label = (
        f"Passphrase for profile '{profile}':"
        if entry
        else "No OS keyring is available. Choose a passphrase to encrypt your profile\n"
        "(it cannot be recovered if you forget it):"
    )
    text, ok = QInputDialog.getText(parent, "Unlock LampDesk", label, QLineEdit.EchoMode.Password)
    return text if ok and text else None


def run_gui(data_dir: str | None, profile: str) -> int:
    os.umask(0o077)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("LampDesk")
    paths = DataPaths.resolve(data_dir)
    passphrase = _passphrase_for(paths, profile, None)
    window = MainWindow(paths, profile, passphrase)
    window.show()
    return int(app.exec())
