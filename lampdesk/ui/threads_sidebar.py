"""The sidebar of conversations: New chat, search, rename, delete with undo, export.

Newest first, grouped by day. A delete is held back until the user moves on (another delete,
New chat, closing), so Undo needs no timer; only then is it asked of the worker.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from lampdesk.ui.qt import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)

THREAD_ROLE = Qt.ItemDataRole.UserRole


def day_label(stamp: str, today: date | None = None) -> str:
    """ "Today", "Yesterday", or the local date of an ISO UTC time stamp."""
    when = datetime.fromisoformat(stamp).astimezone().date()
    today = today or date.today()
    if when == today:
        return "Today"
    if when == today - timedelta(days=1):
        return "Yesterday"
    return when.strftime("%d %B %Y").lstrip("0")


class ThreadsSidebar(QWidget):
    new_chat_requested = Signal()
    thread_selected = Signal(int)
    search_requested = Signal(str)
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_chat = QPushButton("New chat")
        self.new_chat.setToolTip("Start a new conversation (Ctrl+N)")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search conversations…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        self.export_button = QPushButton("Export…")
        self.undo_label = QLabel("")
        self.undo_button = QPushButton("Undo")
        self.undo_label.setVisible(False)
        self.undo_button.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_chat)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        for button in (self.rename_button, self.delete_button, self.export_button):
            row.addWidget(button)
        layout.addLayout(row)
        undo = QHBoxLayout()
        undo.addWidget(self.undo_label, 1)
        undo.addWidget(self.undo_button)
        layout.addLayout(undo)
        self.pending_delete: int | None = None
        self._threads: list[dict[str, Any]] = []
        self.new_chat.clicked.connect(self._new_chat)
        self.search.returnPressed.connect(lambda: self.search_requested.emit(self.search.text()))
        self.list.itemClicked.connect(self._clicked)
        self.rename_button.clicked.connect(self._rename)
        self.delete_button.clicked.connect(lambda: self.delete(self.current()))
        self.export_button.clicked.connect(lambda: self._export(self.current()))
        self.undo_button.clicked.connect(self.undo)

    def show_threads(self, threads: list[dict[str, Any]], current: int | None = None) -> None:
        """Paint *threads* (``Thread.as_json()``, newest first), grouped by day."""
        self._threads = threads
        self.list.clear()
        group = None
        for thread in threads:
            if thread["id"] == self.pending_delete:
                continue
            label = day_label(str(thread["updated_at"]))
            if label != group:
                header = QListWidgetItem(label)
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(header)
                group = label
            item = QListWidgetItem(str(thread["title"]) or "New conversation")
            item.setData(THREAD_ROLE, int(thread["id"]))
            item.setToolTip(f"{thread['turns']} exchange(s) · {thread['model']}")
            self.list.addItem(item)
            if thread["id"] == current:
                self.list.setCurrentItem(item)

    def thread_ids(self) -> list[int]:
        """The conversations listed, top to bottom."""
        ids = []
        for row in range(self.list.count()):
            value = self.list.item(row).data(THREAD_ROLE)
            if value is not None:
                ids.append(int(value))
        return ids

    def current(self) -> int | None:
        item = self.list.currentItem()
        value = item.data(THREAD_ROLE) if item is not None else None
        return None if value is None else int(value)

    def select(self, thread_id: int) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(THREAD_ROLE) == thread_id:
                self.list.setCurrentItem(item)
                self._clicked(item)
                return

    @Slot()
    def _new_chat(self) -> None:
        self.commit_pending()
        self.list.clearSelection()
        self.new_chat_requested.emit()

    @Slot(QListWidgetItem)
    def _clicked(self, item: QListWidgetItem) -> None:
        value = item.data(THREAD_ROLE)
        if value is not None:
            self.thread_selected.emit(int(value))

    @Slot()
    def _rename(self) -> None:
        thread_id = self.current()
        if thread_id is None:
            return
        old = self.list.currentItem().text()
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=old)
        if ok and title.strip():
            self.rename_requested.emit(thread_id, title.strip())

    def delete(self, thread_id: int | None) -> None:
        """Hide the conversation and offer Undo; the delete itself waits (see the module)."""
        if thread_id is None:
            return
        self.commit_pending()
        self.pending_delete = thread_id
        title = next((t["title"] for t in self._threads if t["id"] == thread_id), "")
        self.undo_label.setText(f"Deleted “{title}”.")
        self.undo_label.setVisible(True)
        self.undo_button.setVisible(True)
        self.show_threads(self._threads)

    @Slot()
    def undo(self) -> None:
        self.pending_delete = None
        self.undo_label.setVisible(False)
        self.undo_button.setVisible(False)
        self.show_threads(self._threads)

    def commit_pending(self) -> None:
        """Carry out a held-back delete (the user moved on without Undo)."""
        if self.pending_delete is not None:
            thread_id, self.pending_delete = self.pending_delete, None
            self.undo_label.setVisible(False)
            self.undo_button.setVisible(False)
            self.delete_requested.emit(thread_id)

    def _export(self, thread_id: int | None) -> None:
        if thread_id is not None:
            self.export_requested.emit(thread_id)
