"""LampDesk's main window: ask, watch the answer stream, stop, see why, react."""

from __future__ import annotations

import os
import sys

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from lampdesk.resident import Commands, ResidentServer
from lampdesk.ui import window_menus
from lampdesk.ui.api_toggle import ApiControl
from lampdesk.ui.chat_control import ChatControl
from lampdesk.ui.chat_view import ChatView
from lampdesk.ui.desktop_control import DesktopControl
from lampdesk.ui.first_run import FirstRun, FirstRunWizard
from lampdesk.ui.profile_switch import ProfileSwitcher
from lampdesk.ui.qt import (
    QApplication,
    QCloseEvent,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMainWindow,
    QShortcut,
    QSplitter,
    Qt,
    QThread,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)
from lampdesk.ui.threads_control import ThreadsControl
from lampdesk.ui.threads_sidebar import ThreadsSidebar
from lampdesk.ui.why_panel import WhyPanel
from lampdesk.ui.window_dialogs import WindowDialogs
from lampdesk.ui.workers import AssistantWorker
from lampdesk.vault.keys import (
    ENV_PASSPHRASE,
    KeyMode,
    choose_mode_for_new_profile,
    keyring_usable,
)
from lampdesk.vault.profiles import ProfileRegistry


class MainWindow(QMainWindow):
    """Composes the window's parts, each owning one concern, around one assistant worker:
    :attr:`chat` (asking and answers), :attr:`threads` (conversations), :attr:`switcher`
    (opening, unlocking, switching profiles), :attr:`dialogs`, :attr:`desktop` (tray, quick
    ask, hotkey), :attr:`api` (the personal API) and the menus (``window_menus``)."""

    #: Emitted once a stored conversation has been painted in the chat view.
    thread_shown = Signal(int)
    #: Emitted once the conversation list and profile switcher have been painted.
    history_shown = Signal()
    #: Emitted on the GUI thread once an answer (or an error) has been painted.
    answer_shown = Signal(dict)
    error_shown = Signal(str)
    ready_shown = Signal()

    def __init__(
        self,
        paths: DataPaths,
        profile: str,
        passphrase: str | None,
        first_run: FirstRun | None = None,
        commands: Commands | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("LampDesk")
        self.resize(1000, 620)
        self._shut_down = False
        self.transcript = ChatView()
        self.why = WhyPanel()
        self.sidebar = ThreadsSidebar()
        self.conversations = self.sidebar.list
        self.conversations.setToolTip("Your conversations: click one to go on with it")
        self.status = QLabel("Opening your profile… Everything stays on this computer.")

        self.thread_ = QThread(self)
        self.thread_.setObjectName("lampdesk-assistant")
        self.switcher = ProfileSwitcher(self, profile, passphrase, self.status)
        # One set of services (and so one copy of each model) for the window and the API.
        self.lampdesk = LampDesk(paths, prompt=self.switcher.passphrase)
        self.worker = AssistantWorker(self.lampdesk, profile, first_run)
        self.worker.moveToThread(self.thread_)
        self.chat = ChatControl(self, self.worker, self.transcript, self.why, self.status)
        self.threads = ThreadsControl(self, self.worker, self.chat, self.sidebar)
        self.switcher.connect_worker(self.worker, self.chat, self.threads)
        self.desktop = DesktopControl(self, paths, self.chat, self.threads, self.quit_app)
        self.dialogs = WindowDialogs(
            self, paths, self.worker, self.thread_, self.desktop.current_hotkey
        )
        self.dialogs.settings_dialog.hotkey_requested.connect(self._on_hotkey_chosen)
        self.api = ApiControl(self, self.lampdesk, lambda: self.switcher.profile)
        for part_signal, own in (
            (self.chat.answer_shown, self.answer_shown),
            (self.chat.error_shown, self.error_shown),
            (self.threads.thread_shown, self.thread_shown),
            (self.switcher.history_shown, self.history_shown),
            (self.switcher.ready_shown, self.ready_shown),
        ):
            part_signal.connect(own)
        self.thread_.start()

        # While the window is open, `lampdesk` commands in a terminal run here, with the models
        # already loaded (and the profile not opened twice); `commands` is the CLI's dispatch.
        self.resident: ResidentServer | None = None
        if commands is not None:
            try:
                self.resident = ResidentServer(paths, commands(self.lampdesk))
            except OSError:
                self.resident = None  # another LampDesk already serves this data directory

        QShortcut(QKeySequence("Escape"), self, self.chat.stop)
        self.find_bar = window_menus.install(self)
        self.setCentralWidget(self._layout())
        self.switcher.open_requested.emit()

    def _layout(self) -> QWidget:
        """The sidebar, chat and "why" panel side by side; the question, options, status."""
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.switcher.profiles)
        left_layout.addWidget(self.sidebar, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.transcript)
        splitter.addWidget(self.why)
        splitter.setSizes([200, 520, 320])
        layout = QVBoxLayout()
        layout.addWidget(splitter, 1)
        layout.addWidget(self.find_bar)
        layout.addLayout(self.chat.input_row())
        options = QHBoxLayout()
        options.addWidget(self.chat.personalize)
        options.addWidget(self.threads.temporary)
        self.dialogs.add_buttons(options)
        options.addWidget(self.api.toggle)
        options.addWidget(self.api.status, 1)
        options.addWidget(self.dialogs.sources_button)
        options.addWidget(self.desktop.close_to_tray)
        layout.addLayout(options)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.switcher.unlock_button)
        status_row.addWidget(self.desktop.tray_note)
        layout.addLayout(status_row)
        central = QWidget()
        central.setLayout(layout)
        return central

    @Slot(str)
    def _on_hotkey_chosen(self, keys: str) -> None:
        message = self.desktop.set_hotkey(keys)
        self.dialogs.settings_dialog.show_hotkey(self.desktop.current_hotkey(), message)
        self.status.setText(message)

    # -- closing -----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop any answer, end the worker thread and close the profile (safe to call twice)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.desktop.shutdown()
        if self.resident is not None:
            self.resident.stop()
            self.resident = None
        self.api.shutdown()
        self.dialogs.shutdown()
        self.worker.cancel()
        self.thread_.quit()
        self.thread_.wait()
        self.worker.close()

    @Slot()
    def quit_app(self) -> None:
        """Quit for good (the tray's "Quit"), also when the window is hidden in the tray."""
        self.shutdown()
        self.close()
        QApplication.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.desktop.keeps_running() and not self._shut_down:
            QApplication.setQuitOnLastWindowClosed(False)
            event.ignore()
            self.hide()  # "Quit" in the tray's menu ends it
            return
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


def run_gui(
    data_dir: str | None,
    profile: str,
    *,
    minimized: bool = False,
    commands: Commands | None = None,
) -> int:
    os.umask(0o077)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("LampDesk")
    paths = DataPaths.resolve(data_dir)
    first_run: FirstRun | None = None
    if not ProfileRegistry(paths).entries() and os.environ.get(ENV_PASSPHRASE) is None:
        wizard = FirstRunWizard(keyring_usable(), paths=paths)
        if wizard.exec() != QDialog.DialogCode.Accepted:
            return 0
        first_run = wizard.result_data()
        passphrase = first_run.passphrase
    else:
        passphrase = _passphrase_for(paths, profile, None)
    window = MainWindow(paths, profile, passphrase, first_run, commands)
    if minimized and window.desktop.tray.available:
        app.setQuitOnLastWindowClosed(False)  # it lives in the tray until "Quit"
    else:
        window.show()
    return int(app.exec())
