"""Small builders the window's parts and dialogs share: a button, a yes-or-no question."""

from __future__ import annotations

from collections.abc import Callable

from lampdesk.ui.qt import QMessageBox, QPushButton, QWidget


def button(text: str, on_click: Callable[[], object] | None = None, tip: str = "") -> QPushButton:
    """A push button saying *text*, calling *on_click* when clicked, with *tip* as its tooltip."""
    made = QPushButton(text)
    if tip:
        made.setToolTip(tip)
    if on_click is not None:
        made.clicked.connect(on_click)
    return made


def confirmed(parent: QWidget, title: str, question: str) -> bool:
    """Ask *question* before something that cannot be taken back; True on Yes."""
    answer = QMessageBox.question(parent, title, question)
    return bool(answer == QMessageBox.StandardButton.Yes)
