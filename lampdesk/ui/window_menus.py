"""The main window's menu bar, keyboard shortcuts and find bar (painting only).

File: New chat, Import/Export profile, Quit. Edit: Copy (the last answer), Find in chat.
View: the conversations sidebar and the "why" panel. Help: keyboard shortcuts, About.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lampdesk import __version__
from lampdesk.ui.qt import (
    QAction,
    QFileDialog,
    QGuiApplication,
    QHBoxLayout,
    QInputDialog,
    QKeyEvent,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    Qt,
    QWidget,
)

if TYPE_CHECKING:
    from lampdesk.ui.main_window import MainWindow

SHORTCUTS = (
    ("Ctrl+N", "New chat"),
    ("Ctrl+F", "Find in chat"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+Shift+C", "Copy the last answer"),
    ("Escape", "Stop the answer"),
    ("Ctrl+Shift+Space", "Quick ask (in the window; system-wide: see the README)"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


class FindBar(QWidget):
    """Find in chat: the next message holding the text is scrolled to and selected."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.field = QLineEdit()
        self.field.setPlaceholderText("Find in this conversation… (Enter: next, Esc: close)")
        self.result = QLabel("")
        close = QPushButton("Close")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.result)
        layout.addWidget(close)
        close.clicked.connect(self.hide)
        self.field.returnPressed.connect(self.find_next)
        self._last = -1
        self.setVisible(False)

    def open(self) -> None:
        self.setVisible(True)
        self.field.setFocus()
        self.field.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def find_next(self) -> int:
        """Select the next match; its message's index (-1 when there is none)."""
        text = self.field.text().strip()
        messages = self.window_.transcript.messages
        if not text or not messages:
            self.result.setText("")
            return -1
        order = list(range(self._last + 1, len(messages))) + list(range(self._last + 1))
        for index in order:
            message = messages[index]
            if text.lower() in message.rendered().lower():
                message.body.moveCursor(message.body.textCursor().MoveOperation.Start)
                message.body.find(text)
                self.window_.transcript.following = False
                self.window_.transcript.ensureWidgetVisible(message)
                self._last = index
                self.result.setText(f"message {index + 1} of {len(messages)}")
                return index
        self.result.setText("not found")
        return -1


def _action(window: MainWindow, menu_name: str, text: str, shortcut: str | None) -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    menus = window.__dict__.setdefault("_menus", {})
    if menu_name not in menus:
        menus[menu_name] = window.menuBar().addMenu(menu_name)
    menus[menu_name].addAction(action)
    return action


def install(window: MainWindow) -> FindBar:
    find_bar = FindBar(window)
    _action(window, "&File", "&New chat", "Ctrl+N").triggered.connect(window.threads.new_chat)
    _action(window, "&File", "&Import profile…", None).triggered.connect(
        window.dialogs.show_settings
    )
    _action(window, "&File", "&Export profile…", None).triggered.connect(
        window.dialogs.show_settings
    )
    _action(window, "&File", "&Quit", "Ctrl+Q").triggered.connect(window.quit_app)
    _action(window, "&Edit", "&Copy last answer", "Ctrl+Shift+C").triggered.connect(
        lambda: copy_last_answer(window)
    )
    _action(window, "&Edit", "&Find in chat…", "Ctrl+F").triggered.connect(find_bar.open)
    _action(window, "&Edit", "&Settings…", "Ctrl+,").triggered.connect(window.dialogs.show_settings)
    _action(window, "&Edit", "&Answer settings…", None).triggered.connect(
        window.dialogs.show_answer_settings
    )
    sidebar = _action(window, "&View", "&Conversations", None)
    sidebar.setCheckable(True)
    sidebar.setChecked(True)
    sidebar.toggled.connect(window.sidebar.setVisible)
    _action(window, "&View", "Quick ask &hotkey…", None).triggered.connect(
        lambda: choose_hotkey(window)
    )
    why = _action(window, "&View", "&Why this answer", None)
    why.setCheckable(True)
    why.setChecked(True)
    why.toggled.connect(window.why.setVisible)
    _action(window, "&Help", "&Keyboard shortcuts", "F1").triggered.connect(
        lambda: show_shortcuts(window)
    )
    _action(window, "&Help", "&About LampDesk", None).triggered.connect(lambda: about(window))
    return find_bar


def choose_hotkey(window: MainWindow) -> None:
    grabbed = window.desktop.hotkey
    current = grabbed.hotkey if grabbed is not None else ""
    keys, ok = QInputDialog.getText(
        window, "Quick ask hotkey", "System-wide hotkey (e.g. Ctrl+Shift+Space):", text=current
    )
    if ok and keys.strip():
        window.status.setText(window.desktop.set_hotkey(keys.strip()))


def copy_last_answer(window: MainWindow) -> None:
    answers = [m for m in window.transcript.messages if m.role == "assistant" and m.text]
    clipboard = QGuiApplication.clipboard()
    if answers and clipboard is not None:
        clipboard.setText(answers[-1].text)


def shortcuts_text() -> str:
    return "\n".join(f"{keys}\t{what}" for keys, what in SHORTCUTS)


def show_shortcuts(window: MainWindow) -> None:
    QMessageBox.information(window, "Keyboard shortcuts", shortcuts_text())


def about(window: MainWindow) -> None:
    QMessageBox.about(
        window,
        "About LampDesk",
        f"LampDesk {__version__}: a personal assistant that runs entirely on this computer.",
    )


def export_path(window: QWidget) -> str:
    path, _ = QFileDialog.getSaveFileName(
        window, "Export conversation", "conversation.md", "Markdown (*.md);;JSON (*.json)"
    )
    return path
