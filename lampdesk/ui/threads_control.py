"""The conversations part of the window: the sidebar's list, new chat, temporary chat.

It asks the worker for the conversations and for one conversation's turns, paints them (the
sidebar, the chat view) and tells the chat controller which conversation it now asks in.
"""

from __future__ import annotations

from typing import Any

from lampdesk.ui import thread_work, window_menus
from lampdesk.ui.chat_control import ChatControl
from lampdesk.ui.qt import QCheckBox, QListWidgetItem, QObject, Qt, QWidget, Signal, Slot
from lampdesk.ui.thread_work import NEW_THREAD, TEMPORARY_THREAD
from lampdesk.ui.threads_sidebar import THREAD_ROLE, ThreadsSidebar
from lampdesk.ui.workers import AssistantWorker


class ThreadsControl(QObject):
    """Switches between conversations; owns the list of exchanges outside any of them."""

    threads_requested = Signal(str)
    open_thread_requested = Signal(int)
    thread_change_requested = Signal(thread_work.ThreadChange)
    #: Emitted once a stored conversation has been painted in the chat view.
    thread_shown = Signal(int)

    def __init__(
        self,
        window: QWidget,
        worker: AssistantWorker,
        chat: ChatControl,
        sidebar: ThreadsSidebar,
    ) -> None:
        super().__init__(window)
        self._window, self.chat, self.sidebar = window, chat, sidebar
        # The chat controller's views: the chat view and the window's status line.
        self.transcript, self.status = chat.transcript, chat.status
        self._exchanges: dict[int, dict[str, Any]] = {}
        self.temporary = QCheckBox("Temporary chat")
        self.temporary.setToolTip(
            "Uses your profile, but nothing of it is stored and LampDesk learns nothing from it"
        )
        self.temporary.toggled.connect(self._toggle_temporary)

        for signal, slot in (
            (self.threads_requested, worker.threads),
            (self.open_thread_requested, worker.open_thread),
            (self.thread_change_requested, worker.change_thread),
            (worker.threads_loaded, self.show_threads),
            (worker.thread_loaded, self._on_thread),
            (chat.answer_shown, self._remember),
        ):
            signal.connect(slot)
        sidebar.new_chat_requested.connect(self.new_chat)
        sidebar.thread_selected.connect(self.open_thread)
        sidebar.search_requested.connect(self.threads_requested)
        sidebar.rename_requested.connect(
            lambda thread_id, title: self.thread_change_requested.emit(
                thread_work.RenameThread(thread_id, title)
            )
        )
        sidebar.delete_requested.connect(self._delete_thread)
        sidebar.export_requested.connect(self._export_thread)

    @Slot()
    def new_chat(self) -> None:
        self.chat.thread_id = TEMPORARY_THREAD if self.temporary.isChecked() else NEW_THREAD
        self.transcript.clear()
        self.sidebar.list.clearSelection()
        self.chat.question.setFocus()
        if self.temporary.isChecked():
            self.thread_change_requested.emit(thread_work.ForgetTemporaryChat())

    @Slot(bool)
    def _toggle_temporary(self, on: bool) -> None:
        self.new_chat()
        self.status.setText(
            "Temporary chat: nothing is stored, nothing is learned." if on else "New chat."
        )

    @Slot(int)
    def open_thread(self, thread_id: int) -> None:
        if thread_id < 0:  # an exchange outside any conversation: shown, not continued
            exchange = self._exchanges.get(-thread_id)
            if exchange is not None:
                self.transcript.show_turns(
                    [{**exchange, "interaction_id": exchange["id"], "reaction": ""}]
                )
                self.chat.thread_id = NEW_THREAD
            return
        self.open_thread_requested.emit(thread_id)

    @Slot(QListWidgetItem)
    def show_exchange(self, item: QListWidgetItem) -> None:
        """An entry of the sidebar clicked: its conversation (or lone exchange) shown."""
        value = item.data(THREAD_ROLE)
        if value is not None:
            self.open_thread(int(value))

    @Slot(dict)
    def _on_thread(self, state: dict[str, Any]) -> None:
        if not self.chat.idle():
            return  # an answer is streaming into the view: switching waits for it
        if self.temporary.isChecked():
            self.temporary.setChecked(False)
        self.chat.thread_id = int(state["thread_id"])
        self.transcript.show_turns(state["turns"])
        self._window.setWindowTitle(f"{state['title']} — LampDesk")
        self.thread_shown.emit(self.chat.thread_id)

    @Slot(dict)
    def show_threads(self, state: dict[str, Any]) -> None:
        self.sidebar.show_threads(state["threads"], self.chat.thread_id)
        others = [e for e in state.get("others", []) if not state.get("search")]
        self._exchanges.update({int(e["id"]): e for e in others})
        if others:
            header = QListWidgetItem("Other exchanges")
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            self.sidebar.list.addItem(header)
        for exchange in others:
            item = QListWidgetItem(str(exchange["question"])[:80])
            item.setToolTip(f"{exchange['created_at'][:16].replace('T', ' ')}")
            item.setData(THREAD_ROLE, -int(exchange["id"]))
            self.sidebar.list.addItem(item)
        if state.get("message"):
            self.status.setText(str(state["message"]))

    def show_history(self, history: dict[str, Any]) -> None:
        """A profile (re)opened: its exchanges and conversations; a new chat after a switch."""
        self._exchanges = {int(e["id"]): e for e in history["exchanges"]}
        if history.get("switched"):
            self.new_chat()
        self.show_threads(history["threads"])

    @Slot(dict)
    def _remember(self, result: dict[str, Any]) -> None:
        interaction_id = result["interaction_id"]
        self._exchanges[interaction_id] = {
            "id": interaction_id,
            "question": result["question"],
            "answer": result["answer"],
        }

    @Slot(int)
    def _delete_thread(self, thread_id: int) -> None:
        if thread_id == self.chat.thread_id:
            self.new_chat()
        self.thread_change_requested.emit(thread_work.DeleteThread(thread_id))

    @Slot(int)
    def _export_thread(self, thread_id: int) -> None:
        path = window_menus.export_path(self._window)
        if path:
            self.thread_change_requested.emit(thread_work.ExportThread(thread_id, path))
