"""The chat view: one widget per message, each with its own Markdown document and actions.

Each message renders its own Markdown, so a numbered list in one answer never numbers the next
message; code blocks are monospace with a copy button each. Answers have Copy, Regenerate (the
last one), Continue (when the answer length limit stopped it, said in the message) and feedback
buttons that belong to that answer and show the reaction chosen; the last question has Edit
(and resend). The view follows a streaming answer unless the user has scrolled up.

Only painting happens here: every action is a signal for the window to pass to the worker.
"""

from __future__ import annotations

import re
from typing import Any

from lampdesk.ui.qt import (
    QFontDatabase,
    QFrame,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)

_CODE_BLOCK = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
#: Pixels from the bottom within which the view counts as "at the end" (and so follows).
FOLLOW_SLACK = 24


def code_blocks(markdown: str) -> list[str]:
    """The fenced code blocks of *markdown*, their text only."""
    return [block.rstrip("\n") for block in _CODE_BLOCK.findall(markdown)]


class MessageBody(QTextBrowser):
    """A message's own document, as tall as its text (the view scrolls, not the message)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.document().setDefaultStyleSheet(f"pre, code {{ font-family: '{fixed.family()}'; }}")

    @Slot()
    def _fit(self) -> None:
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 4
        self.setFixedHeight(max(height, 20))


class MessageWidget(QFrame):
    """One question or one answer."""

    feedback = Signal(int, str)
    why = Signal(int)
    regenerate = Signal()
    continue_ = Signal()
    resend = Signal(str)

    def __init__(self, role: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.text = text
        self.interaction_id = 0
        self.reaction = ""
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"message-{role}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.who = QLabel("<b>You</b>" if role == "user" else "<b>LampDesk</b>")
        layout.addWidget(self.who)
        self.body = MessageBody(self)
        layout.addWidget(self.body)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        layout.addWidget(self.note)
        self.code_row = QHBoxLayout()
        layout.addLayout(self.code_row)
        self.editor = QPlainTextEdit()
        self.editor.setVisible(False)
        layout.addWidget(self.editor)
        actions = QHBoxLayout()
        layout.addLayout(actions)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy this message")
        self.copy_button.clicked.connect(self.copy)
        actions.addWidget(self.copy_button)
        self.regenerate_button = QPushButton("Regenerate")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("The answer length limit stopped it: go on")
        self.up = QPushButton("Fits me")
        self.down = QPushButton("Not for me")
        self.why_button = QPushButton("Why this answer?")
        self.why_button.clicked.connect(lambda: self.why.emit(self.interaction_id))
        self.edit_button = QPushButton("Edit")
        self.resend_button = QPushButton("Resend")
        self.regenerate_button.clicked.connect(self.regenerate)
        self.continue_button.clicked.connect(self.continue_)
        self.edit_button.clicked.connect(self._start_edit)
        self.resend_button.clicked.connect(self._resend)
        for button, kind in ((self.up, "up"), (self.down, "down")):
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, k=kind: self._react(k))
        for button in (
            self.why_button,
            self.regenerate_button,
            self.continue_button,
            self.up,
            self.down,
            self.edit_button,
            self.resend_button,
        ):
            button.setVisible(False)
            actions.addWidget(button)
        actions.addStretch(1)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.text = text
        if self.role == "user":
            self.body.setPlainText(text)
        else:
            self.body.setMarkdown(text)
        self._code_buttons()

    def rendered(self) -> str:
        """The message as shown: its text, then its notes and "Why this answer?" if there."""
        parts = [self.body.toPlainText()]
        if not self.note.isHidden():
            parts.append(self.note.text())
        if not self.why_button.isHidden():
            parts.append(self.why_button.text())
        return "\n".join(parts)

    def _code_buttons(self) -> None:
        while self.code_row.count():
            item = self.code_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if self.role == "user":
            return
        for number, block in enumerate(code_blocks(self.text), start=1):
            button = QPushButton(f"Copy code {number}")
            button.setObjectName("copy-code")
            button.clicked.connect(lambda _=False, b=block: self._to_clipboard(b))
            self.code_row.addWidget(button)
        self.code_row.addStretch(1)

    @Slot()
    def copy(self) -> None:
        self._to_clipboard(self.text)

    @staticmethod
    def _to_clipboard(text: str) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(text)

    def finish(self, result: dict[str, Any]) -> None:
        """The answer is complete: its final text, its actions, and what limited it."""
        self.interaction_id = int(result.get("interaction_id") or 0)
        self.set_text(str(result.get("answer") or ""))
        stopped = result.get("stopped_by") == "length"
        notes = [str(w) for w in result.get("warnings") or [] if w]
        if stopped and not any("length limit" in n for n in notes):
            notes.append(f"Stopped at the answer length limit ({result.get('max_tokens')} tokens).")
        if result.get("cancelled"):
            notes.append("Stopped by you.")
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        self.continue_button.setVisible(stopped)
        recorded = self.interaction_id > 0
        self.up.setVisible(recorded)
        self.down.setVisible(recorded)
        self.why_button.setVisible(recorded)

    def set_last(self, last: bool) -> None:
        """Regenerate (answers) and Edit (questions) belong to the last exchange only."""
        if self.role == "assistant":
            self.regenerate_button.setVisible(last and self.interaction_id > 0)
            if not last:
                self.continue_button.setVisible(False)
        else:
            self.edit_button.setVisible(last)
            if not last:
                self.editor.setVisible(False)
                self.resend_button.setVisible(False)

    def show_reaction(self, kind: str) -> None:
        """Paint the reaction chosen (saved by the worker) on this message's buttons."""
        self.reaction = kind
        self.up.setChecked(kind == "up")
        self.down.setChecked(kind == "down")

    def _react(self, kind: str) -> None:
        self.show_reaction(self.reaction)  # the state changes once the worker saved it
        self.feedback.emit(self.interaction_id, kind)

    @Slot()
    def _start_edit(self) -> None:
        self.editor.setPlainText(self.text)
        self.editor.setVisible(True)
        self.resend_button.setVisible(True)
        self.editor.setFocus()

    @Slot()
    def _resend(self) -> None:
        text = self.editor.toPlainText().strip()
        if text:
            self.editor.setVisible(False)
            self.resend_button.setVisible(False)
            self.resend.emit(text)


class ChatView(QScrollArea):
    """The messages of one conversation, top to bottom."""

    feedback_requested = Signal(int, str)
    why_requested = Signal(int)
    regenerate_requested = Signal()
    continue_requested = Signal()
    resend_requested = Signal(str)
    textChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.addStretch(1)
        self.setWidget(inner)
        self.messages: list[MessageWidget] = []
        self.following = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)

    # -- following the end -------------------------------------------------------------------

    def at_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - FOLLOW_SLACK

    @Slot(int)
    def _on_scrolled(self, _value: int) -> None:
        self.following = self.at_end()

    @Slot(int, int)
    def _on_range(self, _low: int, high: int) -> None:
        if self.following:
            self.verticalScrollBar().setValue(high)

    # -- messages ----------------------------------------------------------------------------

    def clear(self) -> None:
        for message in self.messages:
            self.column.removeWidget(message)
            message.deleteLater()
        self.messages = []
        self.following = True
        self.textChanged.emit()

    def _add(self, message: MessageWidget) -> MessageWidget:
        self.column.insertWidget(self.column.count() - 1, message)
        self.messages.append(message)
        if message.role == "assistant":
            message.feedback.connect(self.feedback_requested)
            message.why.connect(self.why_requested)
            message.regenerate.connect(self.regenerate_requested)
            message.continue_.connect(self.continue_requested)
        else:
            message.resend.connect(self.resend_requested)
        self._mark_last()
        self.textChanged.emit()
        return message

    def _mark_last(self) -> None:
        last_user = max((i for i, m in enumerate(self.messages) if m.role == "user"), default=-1)
        last_answer = max(
            (i for i, m in enumerate(self.messages) if m.role == "assistant"), default=-1
        )
        for i, message in enumerate(self.messages):
            message.set_last(i == (last_user if message.role == "user" else last_answer))

    def add_question(self, text: str) -> MessageWidget:
        return self._add(MessageWidget("user", text))

    def start_answer(self) -> MessageWidget:
        return self._add(MessageWidget("assistant", ""))

    def stream(self, text: str) -> None:
        """Streamed text so far of the answer being written (the last message)."""
        if self.messages and self.messages[-1].role == "assistant":
            self.messages[-1].set_text(text)
            self.textChanged.emit()

    def finish_answer(self, result: dict[str, Any]) -> MessageWidget | None:
        if not self.messages or self.messages[-1].role != "assistant":
            return None
        message = self.messages[-1]
        message.finish(result)
        self._mark_last()
        self.textChanged.emit()
        return message

    def drop_last_exchange(self, keep_question: bool) -> None:
        """Before a regenerated answer (*keep_question*) or an edited question."""
        while self.messages and self.messages[-1].role == "assistant":
            self._remove_last()
        if not keep_question and self.messages and self.messages[-1].role == "user":
            self._remove_last()
        self._mark_last()

    def _remove_last(self) -> None:
        message = self.messages.pop()
        self.column.removeWidget(message)
        message.deleteLater()
        self.textChanged.emit()

    def show_turns(self, turns: list[dict[str, Any]]) -> None:
        """A whole stored conversation (``Turn.as_json()`` plus its reaction)."""
        self.clear()
        for turn in turns:
            self.add_question(str(turn["question"]))
            answer = self.start_answer()
            answer.finish(
                {
                    "interaction_id": turn["interaction_id"],
                    "answer": turn["answer"],
                    "stopped_by": turn.get("stopped_by", ""),
                    "cancelled": turn.get("cancelled", False),
                    "max_tokens": turn.get("max_tokens", ""),
                }
            )
            answer.show_reaction(str(turn.get("reaction") or ""))
        self._mark_last()

    def message_for(self, interaction_id: int) -> MessageWidget | None:
        return next((m for m in self.messages if m.interaction_id == interaction_id), None)

    def show_reaction(self, interaction_id: int, kind: str) -> None:
        message = self.message_for(interaction_id)
        if message is not None and kind in ("up", "down"):
            message.show_reaction(kind)

    def toPlainText(self) -> str:  # the name QTextEdit users know
        parts = []
        for message in self.messages:
            who = "You" if message.role == "user" else "LampDesk"
            parts.append(f"{who}: {message.rendered()}")
        return "\n".join(parts)
