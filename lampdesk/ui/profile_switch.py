"""Opening, unlocking and switching profiles, for the window.

It owns the profile switcher (a combo box) and the Unlock button, keeps the passphrase typed
on the GUI thread for the core's prompt, and paints what the worker says as a profile opens.
"""

from __future__ import annotations

from typing import Any

from lampdesk.errors import KeyUnavailableError
from lampdesk.ui.backup_tab import offer_restore
from lampdesk.ui.chat_control import ChatControl
from lampdesk.ui.qt import (
    QComboBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    QWidget,
    Signal,
    Slot,
)
from lampdesk.ui.threads_control import ThreadsControl
from lampdesk.ui.workers import AssistantWorker


class ProfileSwitcher(QObject):
    """The open profile: its name, the switcher, the passphrase and the Unlock button."""

    open_requested = Signal()
    history_requested = Signal()
    switch_requested = Signal(str)
    #: The user chose to restore the newest backup of a damaged profile.
    restore_requested = Signal()
    #: Emitted once the conversation list and profile switcher have been painted.
    history_shown = Signal()
    ready_shown = Signal()

    def __init__(
        self, window: QWidget, profile: str, passphrase: str | None, status: QLabel
    ) -> None:
        super().__init__(window)
        self._window, self.status = window, status
        #: The open profile's name (the one asked for until the worker says it has opened).
        self.profile = profile
        self._passphrase = passphrase
        self.profiles = QComboBox()
        self.profiles.setToolTip("Switch profile")
        self.profiles.activated.connect(self.switch_profile)
        self.unlock_button = QPushButton("Unlock…")
        self.unlock_button.setVisible(False)
        self.unlock_button.clicked.connect(self._ask_passphrase)

    def connect_worker(
        self, worker: AssistantWorker, chat: ChatControl, threads: ThreadsControl
    ) -> None:
        """Talk to *worker* (made after this object: the core's prompt is :meth:`passphrase`)."""
        self.chat = chat
        self.threads = threads
        for signal, slot in (
            (self.open_requested, worker.open_profile),
            (self.history_requested, worker.history),
            (self.switch_requested, worker.switch_profile),
            (self.restore_requested, worker.restore_latest),
            (worker.opened, self._on_opened),
            (worker.history_loaded, self._on_history),
            (worker.ready, self._on_ready),
            (worker.locked, self._on_locked),
        ):
            signal.connect(slot)
        worker.damaged.connect(
            lambda message: offer_restore(self._window, message, self.restore_requested.emit)
        )

    def passphrase(self, what: str, confirm: bool) -> str:
        """The core's passphrase prompt: the one typed on the GUI thread (never asked here)."""
        if self._passphrase is None:
            raise KeyUnavailableError(f"{what} is needed: use Unlock.")
        return self._passphrase

    @Slot()
    def _ask_passphrase(self) -> None:
        text, ok = QInputDialog.getText(
            self._window, "Unlock LampDesk", "Passphrase:", QLineEdit.EchoMode.Password
        )
        if ok and text:
            self.unlock_with(text)

    def unlock_with(self, passphrase: str) -> None:
        """Try the profile again with *passphrase* (from the Unlock dialog)."""
        self._passphrase = passphrase
        self.unlock_button.setVisible(False)
        self.status.setText("Opening your profile…")
        self.open_requested.emit()

    @Slot(int)
    def switch_profile(self, index: int) -> None:
        name = self.profiles.itemText(index)
        if name and name != self.profile and self.chat.idle():
            self.status.setText(f"Opening profile {name}…")
            self.switch_requested.emit(name)

    @Slot(str)
    def _on_opened(self, name: str) -> None:
        self.profile = name
        self.status.setText(f"Profile: {name} · loading the model… everything stays here.")
        self.history_requested.emit()

    @Slot(dict)
    def _on_history(self, history: dict[str, Any]) -> None:
        self.profiles.clear()
        self.profiles.addItems(history["profiles"])
        self.profiles.setCurrentText(history["profile"])
        self.threads.show_history(history)
        self.history_shown.emit()

    @Slot()
    def _on_ready(self) -> None:
        if self.chat.idle():
            self.status.setText(self.status.text().replace("loading the model…", "ready ·"))
        self.ready_shown.emit()

    @Slot(str)
    def _on_locked(self, message: str) -> None:
        self.chat.on_failed(message)
        self.unlock_button.setVisible(True)
