"""Quick ask: a popup that answers with the active profile, and the tray icon that opens it."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from lampdesk.ui.qt import (
    QAction,
    QDialog,
    QGuiApplication,
    QHBoxLayout,
    QIcon,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSystemTrayIcon,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)


def app_icon() -> QIcon:
    icon = resources.files("lampdesk.resources").joinpath("icons/lampdesk.svg")
    with resources.as_file(icon) as path:
        return QIcon(str(path))


class QuickAsk(QDialog):
    """Ask without opening the main window; the answer streams into the popup."""

    asked = Signal(str)
    #: "Open in window": go on with the popup's conversation in the main window.
    open_in_window = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LampDesk quick ask")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self.resize(480, 200)
        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask quickly… (Enter to ask, Esc to close)")
        self.answer = QLabel("")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton("Open in window")
        self.open_button.clicked.connect(self.open_in_window)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.answer, 1)
        layout.addLayout(buttons)
        self.question.returnPressed.connect(self._submit)

    @Slot()
    def popup(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.question.setFocus()

    @Slot()
    def _submit(self) -> None:
        text = self.question.text().strip()
        if text:
            self.answer.setText("Thinking…")
            self.asked.emit(text)

    def show_text(self, text: str) -> None:
        self.answer.setText(text)

    @Slot()
    def copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.answer.text())


class Tray:
    """The tray icon, where the platform has a system tray; the app works without one."""

    def __init__(
        self, window: QMainWindow, quick_ask: QuickAsk, on_quit: Callable[[], None]
    ) -> None:
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon: QSystemTrayIcon | None = None
        if not self.available:
            return
        self.icon = QSystemTrayIcon(app_icon(), window)
        self.icon.setToolTip("LampDesk: everything stays on this computer")
        menu = QMenu(window)
        quick = QAction("Quick ask…", menu)
        quick.triggered.connect(quick_ask.popup)
        show = QAction("Show LampDesk", menu)
        show.triggered.connect(window.showNormal)
        quit_ = QAction("Quit", menu)
        quit_.triggered.connect(on_quit)
        menu.addActions([quick, show, quit_])
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(
            lambda reason: (
                quick_ask.popup() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
            )
        )
        self.icon.show()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
