"""The memory browser: everything LampDesk remembers, to search, sort, edit, pin and forget, with
the changes waiting for the user and a timeline of what was learned when.

It only paints: it asks the assistant worker for a snapshot (``refresh_requested``) and for
changes (``action_requested``), and repaints from the snapshot the worker sends back.
"""

from __future__ import annotations

from typing import Any

from lampdesk.ui import memory_work, widgets
from lampdesk.ui.qt import (
    QAbstractItemView,
    QColor,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPainter,
    QPaintEvent,
    QPushButton,
    QRectF,
    QSizePolicy,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)

COLUMNS = ("Memory", "Topic", "Changed", "Weight", "Pinned")
SORTS = {"Newest first": "date", "Weight": "weight", "Oldest first": "id"}


class Timeline(QWidget):
    """Bars: how many memories were learned each month."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[tuple[str, int]] = []
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Memories learned per month")

    def set_counts(self, counts: list[tuple[str, int]]) -> None:
        self.counts = counts
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().base())
            if not self.counts:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing learned yet")
                return
            top = max(c for _, c in self.counts)
            width = self.width() / len(self.counts)
            label_height = 14
            for index, (month, count) in enumerate(self.counts):
                height = (self.height() - label_height - 4) * count / top
                bar = QRectF(
                    index * width + 2, self.height() - label_height - height, width - 4, height
                )
                painter.fillRect(bar, QColor(70, 130, 180))
                painter.drawText(
                    QRectF(index * width, self.height() - label_height, width, label_height),
                    Qt.AlignmentFlag.AlignCenter,
                    month,
                )
        finally:
            painter.end()


class MemoryBrowser(QDialog):
    #: Ask the worker for a snapshot: (search words, sort key).
    refresh_requested = Signal(str, str)
    #: Ask the worker for a change to one memory.
    action_requested = Signal(memory_work.MemoryChange)
    #: Emitted once a snapshot has been painted.
    shown_snapshot = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What LampDesk remembers")
        self.resize(760, 560)
        self.memories: list[dict[str, Any]] = []
        self.proposals: list[dict[str, Any]] = []

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search memories…")
        self.search.textChanged.connect(self.refresh)
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.currentIndexChanged.connect(self.refresh)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.edit_button = widgets.button("Edit…", self.edit_selected)
        self.pin_button = widgets.button("Pin / unpin", self.pin_selected)
        self.forget_button = widgets.button("Forget", self.forget_selected)
        self.pending = QListWidget()
        self.pending.setMaximumHeight(110)
        self.accept_button = QPushButton("Accept")
        self.reject_button = QPushButton("Reject")
        self.accept_button.clicked.connect(lambda: self._on_pending(memory_work.AcceptMemory))
        self.reject_button.clicked.connect(lambda: self._on_pending(memory_work.RejectMemory))
        self.timeline = Timeline()
        self.summary = QLabel("")

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.sort)
        buttons = QHBoxLayout()
        for button in (self.edit_button, self.pin_button, self.forget_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        pending_buttons = QHBoxLayout()
        pending_buttons.addWidget(QLabel("Waiting for you (\u201cask me first\u201d):"), 1)
        pending_buttons.addWidget(self.accept_button)
        pending_buttons.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(pending_buttons)
        layout.addWidget(self.pending)
        layout.addWidget(self.timeline)

    # -- talking to the worker ---------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        self.refresh_requested.emit(self.search.text(), SORTS[self.sort.currentText()])

    @Slot(dict)
    def show_snapshot(self, snapshot: dict[str, Any]) -> None:
        self.memories = list(snapshot["memories"])
        self.proposals = list(snapshot["proposals"])
        self.table.setRowCount(len(self.memories))
        for row, memory in enumerate(self.memories):
            values = (
                memory["text"],
                memory["topic"] or "",
                (memory["updated_at"] or memory["created_at"])[:16].replace("T", " "),
                f"{memory['weight']:.2f}",
                "yes" if memory["pinned"] else "",
            )
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, memory["id"])
                self.table.setItem(row, column, cell)
        self.pending.clear()
        for proposal in self.proposals:
            was = f"  (now: {proposal['current']})" if proposal["current"] else ""
            item = QListWidgetItem(f"{proposal['action']}: {proposal['text']}{was}")
            item.setData(Qt.ItemDataRole.UserRole, proposal["id"])
            self.pending.addItem(item)
        self.timeline.set_counts([tuple(c) for c in snapshot["timeline"]])
        self.summary.setText(
            f"{len(self.memories)} shown of {snapshot['total']}; {len(self.proposals)} waiting"
        )
        self.shown_snapshot.emit()

    def texts(self) -> list[str]:
        return [m["text"] for m in self.memories]

    # -- actions -----------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return int(self.memories[rows[0].row()]["id"])

    def select_text(self, text: str) -> None:
        for row, memory in enumerate(self.memories):
            if memory["text"] == text:
                self.table.selectRow(row)
                return
        raise KeyError(text)

    @Slot()
    def edit_selected(self) -> None:
        memory_id = self.selected_id()
        if memory_id is None:
            return
        current = next(m["text"] for m in self.memories if m["id"] == memory_id)
        text, ok = QInputDialog.getMultiLineText(self, "Edit memory", "Memory:", current)
        if ok and text.strip():
            self.action_requested.emit(memory_work.EditMemory(memory_id, text.strip()))

    @Slot()
    def pin_selected(self) -> None:
        memory_id = self.selected_id()
        if memory_id is not None:
            pinned = next(m["pinned"] for m in self.memories if m["id"] == memory_id)
            self.action_requested.emit(memory_work.PinMemory(memory_id, not pinned))

    @Slot()
    def forget_selected(self) -> None:
        memory_id = self.selected_id()
        if memory_id is not None:
            self.action_requested.emit(memory_work.ForgetMemory(memory_id))

    def _on_pending(self, change: type[memory_work.MemoryChange]) -> None:
        item = self.pending.currentItem()
        if item is not None:
            self.action_requested.emit(change(int(item.data(Qt.ItemDataRole.UserRole))))
