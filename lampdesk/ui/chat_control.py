"""The chat pane's controller: ask, stream the answer, stop, react, ask again.

It owns the question row (the line, Ask, Stop, the reactions) and the state of the running
answer; what the assistant worker says about an answer is painted here. The conversation being
asked in is :attr:`ChatControl.thread_id` (the threads part switches it).
"""

from __future__ import annotations

from typing import Any

from lampdesk.conversations import CONTINUE_QUESTION
from lampdesk.ui.chat_view import ChatView
from lampdesk.ui.qt import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    QTimer,
    QWidget,
    Signal,
    Slot,
)
from lampdesk.ui.quick_ask import QuickAsk
from lampdesk.ui.thread_work import NEW_THREAD, TEMPORARY_THREAD
from lampdesk.ui.why_panel import WhyPanel
from lampdesk.ui.workers import AssistantWorker

#: How often streamed text is painted: batching keeps the window responsive.
FLUSH_INTERVAL_MS = 50
BUSY_MESSAGE = "LampDesk is still answering; try again in a moment."


class ChatControl(QObject):
    """Asks the worker, paints its answers (in the chat view, or in the quick-ask popup)."""

    #: question, personalize, thread id, how ("ask", "regenerate", "edit", "continue").
    ask_requested = Signal(str, bool, int, str)
    feedback_requested = Signal(int, str)
    edit_answer_requested = Signal(int, str)
    #: Emitted on the GUI thread once an answer (or an error) has been painted.
    answer_shown = Signal(dict)
    error_shown = Signal(str)

    def __init__(
        self,
        window: QWidget,
        worker: AssistantWorker,
        transcript: ChatView,
        why: WhyPanel,
        status: QLabel,
    ) -> None:
        super().__init__(window)
        self._window, self.worker = window, worker
        # The views it paints: the chat, the "why" panel, the window's status line.
        self.transcript, self.why, self.status = transcript, why, status
        self._pending = ""
        self._answer = ""
        self._answering = False
        self._results: dict[int, dict[str, Any]] = {}
        self.last_result: dict[str, Any] | None = None
        self._asker: QuickAsk | None = None  # who asked the running question, if not the window
        #: The conversation asked in (NEW_THREAD until its first answer, TEMPORARY_THREAD).
        self.thread_id = NEW_THREAD
        #: The quick-ask popup's own short conversation.
        self.quick_thread = NEW_THREAD

        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask LampDesk…")
        self.ask_button = QPushButton("Ask")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        # Words, not emoji: many desktops have no colour-emoji font.
        self.thumbs_up = QPushButton("Fits me")
        self.thumbs_down = QPushButton("Not for me")
        for button, kind, tip in (
            (self.thumbs_up, "up", "This answer fits me"),
            (self.thumbs_down, "down", "This answer does not fit me"),
        ):
            button.setToolTip(tip)
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, k=kind: self.react(k))
        self.edit_answer = QPushButton("Edit answer…")
        self.edit_answer.setToolTip("Write the answer you wanted: LampDesk learns from it")
        self.edit_answer.setEnabled(False)
        self.edit_answer.clicked.connect(self._edit_answer)
        self.personalize = QCheckBox("Use my profile")
        self.personalize.setChecked(True)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

        self.ask_requested.connect(worker.ask_in_thread)
        self.feedback_requested.connect(worker.feedback)
        self.edit_answer_requested.connect(worker.edit_answer)
        worker.chunk.connect(self._on_chunk)
        worker.answered.connect(self._on_answered)
        worker.failed.connect(self.on_failed)
        worker.busy.connect(self._on_busy)
        worker.feedback_saved.connect(self._on_feedback_saved)
        transcript.feedback_requested.connect(self.feedback_requested)
        transcript.why_requested.connect(self._show_why)
        transcript.regenerate_requested.connect(self.regenerate)
        transcript.continue_requested.connect(self.continue_answer)
        transcript.resend_requested.connect(self.resend)
        self.ask_button.clicked.connect(self.submit)
        self.question.returnPressed.connect(self.submit)
        self.stop_button.clicked.connect(self.stop)

    def input_row(self) -> QHBoxLayout:
        """The question line and its buttons, laid out in a row for the window."""
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        for button in (
            self.ask_button,
            self.stop_button,
            self.thumbs_up,
            self.thumbs_down,
            self.edit_answer,
        ):
            row.addWidget(button)
        return row

    def idle(self) -> bool:
        """No answer is running (the Ask button is enabled)."""
        return self.ask_button.isEnabled()

    # -- asking ------------------------------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        question = self.question.text().strip()
        if question and self.idle():
            self.question.clear()
            self._start(question, None)

    def ask_in_popup(self, question: str, popup: QuickAsk) -> None:
        """A quick-ask question: answered in *popup*, in the popup's own conversation."""
        if self.idle():
            self._start(question, popup)
        else:
            popup.show_text(BUSY_MESSAGE)

    def _start(
        self, question: str, asker: QuickAsk | None, how: str = "ask", shown: str | None = None
    ) -> None:
        self._answer = ""
        self._answering = True
        self._asker = asker
        self.ask_button.setEnabled(False)
        self.status.setText("Thinking…")
        thread = self.thread_id
        if asker is not None:  # quick ask keeps its own short conversation, in its popup
            thread = self.quick_thread
        else:
            if how != "regenerate":
                self.transcript.add_question(shown or question)
            self.transcript.start_answer()
        self.ask_requested.emit(question, self.personalize.isChecked(), thread, how)

    def _can_act(self) -> bool:
        """Message actions need an idle assistant and a stored conversation."""
        if not self.idle():
            self.status.setText(BUSY_MESSAGE)
            return False
        return self.thread_id > 0

    @Slot()
    def regenerate(self) -> None:
        """The last answer again (the chat view's Regenerate)."""
        if self._can_act():
            self.transcript.drop_last_exchange(keep_question=True)
            self._start("", None, "regenerate")

    @Slot()
    def continue_answer(self) -> None:
        """Go on with an answer the length limit stopped (the chat view's Continue)."""
        if self._can_act():
            self._start(CONTINUE_QUESTION, None, "continue", shown="Continue")

    @Slot(str)
    def resend(self, question: str) -> None:
        """The last question, edited, asked again in place of the old one."""
        if self._can_act():
            self.transcript.drop_last_exchange(keep_question=False)
            self._start(question, None, "edit")

    @Slot()
    def stop(self) -> None:
        """Cancel the running answer now: a direct call, not queued behind the generation."""
        self.worker.cancel()

    def react(self, kind: str) -> None:
        if self.last_result is not None:
            self.feedback_requested.emit(self.last_result["interaction_id"], kind)

    @Slot()
    def _edit_answer(self) -> None:
        if self.last_result is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self._window, "Edit answer", "The answer you wanted:", self.last_result["answer"]
        )
        if ok and text.strip() and text.strip() != self.last_result["answer"]:
            self.edit_answer_requested.emit(self.last_result["interaction_id"], text.strip())

    # -- what the worker says ----------------------------------------------------------------

    @Slot(str)
    def _on_chunk(self, text: str) -> None:
        self._pending += text

    @Slot()
    def _flush(self) -> None:
        if self._pending:
            self._answer += self._pending
            self._pending = ""
            if self._asker is not None:
                self._asker.show_text(self._answer)
            else:
                self.transcript.stream(self._answer)

    @Slot(dict)
    def _on_answered(self, result: dict[str, Any]) -> None:
        self._flush()
        self._answering = False
        if self._asker is None:
            self.transcript.finish_answer(result)
        if self._asker is not None:
            self.quick_thread = int(result.get("thread_id", NEW_THREAD))
        elif self.thread_id != TEMPORARY_THREAD:
            self.thread_id = int(result.get("thread_id", NEW_THREAD))
        self._results[result["interaction_id"]] = result
        self.last_result = result
        self.why.show_result(result)
        self.thumbs_up.setEnabled(True)
        self.thumbs_down.setEnabled(True)
        self.edit_answer.setEnabled(True)
        self.status.setText(answer_status(result))
        if self._asker is not None:
            self._asker.show_text(result["answer"] or "(no answer)")
            self._asker = None
        self.answer_shown.emit(result)

    @Slot(int)
    def _show_why(self, interaction_id: int) -> None:
        result = self._results.get(interaction_id)
        if result is not None:
            self.why.show_result(result)
            self.why.setVisible(True)

    @Slot(int, str)
    def _on_feedback_saved(self, interaction_id: int, kind: str) -> None:
        self.transcript.show_reaction(interaction_id, kind)
        if kind == "edit":
            self.status.setText(f"Thanks: your version of answer {interaction_id} is kept.")
            return
        word = "fits" if kind == "up" else "does not fit"
        self.status.setText(f"Thanks: noted that answer {interaction_id} {word} you.")

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self._flush()
        if not self._answering or self._asker is not None:
            self.transcript.start_answer()  # a message of its own, not on an earlier answer
        self._answering = False
        self.transcript.finish_answer(
            {"answer": self._answer, "warnings": [message], "interaction_id": 0}
        )
        self.status.setText(message.splitlines()[0])
        if self._asker is not None:
            self._asker.show_text(message.splitlines()[0])
            self._asker = None
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


def answer_status(result: dict[str, Any]) -> str:
    """The status line under an answer: what was used, how fast, why it stopped."""
    used = len(result["items"])
    note = result["note"] or f"personalised with {used} remembered item(s)"
    first = result["ttft_ms"]
    timing = f"first word after {first / 1000:.1f} s" if first is not None else "no output"
    stopped = " · stopped" if result["cancelled"] else ""
    if result.get("stopped_by") == "length":
        stopped = f" · stopped at the answer length limit ({result.get('max_tokens')} tokens)"
    return f"{note} · {result['tokens']} tokens · {timing}{stopped}"
