"""The Sources dialog: take in notes, documents and chat exports, see what they add, let go.

The work (scanning, storing, indexing) runs in :class:`SourcesWorker` on the ``QThread`` that
owns the open profile (in the window, the assistant worker's: the session is never used from two
threads); the dialog only asks through queued signals and paints what the worker's signals
carry. A scan is a preview that writes nothing; "Add" stores the previewed plan in one
transaction, then indexes it; "Cancel" stops a scan or a store with nothing written, or stops
indexing (the rest is indexed on the next search).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lampdesk.app import Session
from lampdesk.errors import LampdeskError
from lampdesk.sources.importer import SourceImporter
from lampdesk.sources.model import KINDS, ImportCancelled, Plan
from lampdesk.ui.messages import error_message
from lampdesk.ui.qt import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
    QProgressBar,
    QPushButton,
    QShowEvent,
    Qt,
    QTextBrowser,
    QThread,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)

KIND_NAMES = {
    "folder": "Folder of notes or documents",
    "chatgpt": "ChatGPT export (zip)",
    "claude": "Claude export (zip)",
    "locomo": "LoCoMo conversation file",
}
STAGE_NAMES = {"reading": "Reading", "storing": "Saving", "indexing": "Indexing"}


class SourcesWorker(QObject):
    """Scans, stores and removes sources of the open profile, off the GUI thread."""

    listed = Signal(list)  # [SourceInfo.as_json()]
    previewed = Signal(dict)  # Plan.as_json()
    progress = Signal(str, int, int)
    imported = Signal(dict)  # ImportReport.as_json()
    removed = Signal(int, int)  # source id, items removed
    cancelled = Signal(str)
    failed = Signal(str)
    busy = Signal(bool)

    def __init__(self, session: Callable[[], Session]) -> None:
        super().__init__()
        self._session = session
        #: Set from the GUI thread (a plain Event: no queued call needed), cleared there too.
        self.cancel = threading.Event()
        self._plan: Plan | None = None

    def _importer(self) -> SourceImporter:
        session = self._session()
        return SourceImporter(session.profile, session.assistant.retriever)

    def _report(self, stage: str, done: int, total: int) -> None:
        self.progress.emit(stage, done, total)

    @Slot()
    def refresh(self) -> None:
        self._run(lambda: self.listed.emit([s.as_json() for s in self._importer().sources()]))

    @Slot(str, str)
    def preview(self, kind: str, path: str) -> None:
        def work() -> None:
            self._plan = None
            plan = self._importer().preview(
                kind, Path(path), progress=self._report, cancel=self.cancel
            )
            self._plan = plan
            self.previewed.emit(plan.as_json())

        self._run(work)

    @Slot(int)
    def preview_rescan(self, source_id: int) -> None:
        def work() -> None:
            self._plan = None
            plan = self._importer().preview_rescan(
                source_id, progress=self._report, cancel=self.cancel
            )
            self._plan = plan
            self.previewed.emit(plan.as_json())

        self._run(work)

    @Slot()
    def apply(self) -> None:
        def work() -> None:
            if self._plan is None:
                raise LampdeskError("Preview a source first.")
            plan, self._plan = self._plan, None
            importer = self._importer()
            report = importer.apply(plan, progress=self._report, cancel=self.cancel)
            self.imported.emit(report.as_json())
            self.listed.emit([s.as_json() for s in importer.sources()])

        self._run(work)

    @Slot(int)
    def remove(self, source_id: int) -> None:
        def work() -> None:
            importer = self._importer()
            written = importer.remove(source_id, progress=self._report)
            self.removed.emit(source_id, written.items_removed)
            self.listed.emit([s.as_json() for s in importer.sources()])

        self._run(work)

    def _run(self, work: Callable[[], None]) -> None:
        self.busy.emit(True)
        try:
            work()
        except ImportCancelled as exc:
            self.cancelled.emit(str(exc))
        except Exception as exc:
            self.failed.emit(error_message(exc))
        finally:
            self.busy.emit(False)


def plan_html(plan: dict[str, Any], *, done: bool = False) -> str:
    """The preview (or, with *done*, the import report) for people."""
    esc = html.escape
    verb = "Added" if done else "Will add"
    parts = [
        f"<p><b>{verb} {plan['items']} items</b>"
        + (f" and {plan['interactions']} past exchanges" if plan["interactions"] else "")
        + f" from {esc(plan['label'])}.</p>"
    ]
    if plan.get("candidates"):
        parts.append(f"<p>{plan['candidates']} of your messages may hold facts to remember.</p>")
    if plan.get("files"):
        parts.append("<ul>")
        for file in plan["files"][:50]:
            first = "".join(
                f"<br><small>{esc(' '.join(t.split())[:120])}</small>" for t in file["first"][:2]
            )
            parts.append(
                f"<li>{esc(file['path'])}: {esc(file['title'])} ({file['items']} items){first}</li>"
            )
        if len(plan["files"]) > 50:
            parts.append(f"<li>… and {len(plan['files']) - 50} more</li>")
        parts.append("</ul>")
    if plan["unchanged"]:
        parts.append(f"<p>Unchanged: {plan['unchanged']} file(s).</p>")
    if plan["removed"]:
        parts.append(f"<p>Gone from the source: {esc(', '.join(plan['removed']))}.</p>")
    if plan["skipped"]:
        left = ", ".join(f"{esc(k)} {v}" for k, v in plan["skipped"].items())
        parts.append(f"<p>Left out (not a supported format): {left}.</p>")
    if plan["problems"]:
        parts.append("<p style='color:#b00020'><b>Not taken in:</b></p><ul>")
        for problem in plan["problems"]:
            parts.append(f"<li>{esc(problem['path'])}: {esc(problem['message'])}</li>")
        parts.append("</ul>")
    return "".join(parts)


class SourcesDialog(QDialog):
    """Add, preview, rescan and remove the profile's sources."""

    preview_requested = Signal(str, str)
    rescan_requested = Signal(int)
    apply_requested = Signal()
    remove_requested = Signal(int)
    refresh_requested = Signal()
    #: Emitted on the GUI thread once the outcome is painted (tests wait on these).
    preview_shown = Signal(dict)
    import_shown = Signal(dict)
    list_shown = Signal(int)
    message_shown = Signal(str)

    def __init__(
        self,
        session: Callable[[], Session],
        parent: QWidget | None = None,
        *,
        thread: QThread | None = None,
    ) -> None:
        """*session* is called on *thread*, the thread that owns it; without one the dialog
        starts a thread of its own (for a session nothing else uses)."""
        super().__init__(parent)
        self.setWindowTitle("Sources: bring your own history")
        self.resize(720, 560)
        self.sources = QListWidget()
        self.rescan_button = QPushButton("Rescan")
        self.remove_button = QPushButton("Remove")
        self.kind = QComboBox()
        for kind in KINDS:
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.path = QLineEdit()
        self.path.setPlaceholderText("A folder, an export zip, or a LoCoMo .json file")
        self.browse_button = QPushButton("Browse…")
        self.preview_button = QPushButton("Preview")
        self.add_button = QPushButton("Add")
        self.add_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.stage = QLabel("")
        self.report = QTextBrowser()
        self.report.setPlaceholderText("Preview a source to see what it will add.")

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Sources of this profile:"))
        layout.addWidget(self.sources, 1)
        row = QHBoxLayout()
        row.addWidget(self.rescan_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        add = QHBoxLayout()
        add.addWidget(self.kind)
        add.addWidget(self.path, 1)
        add.addWidget(self.browse_button)
        add.addWidget(self.preview_button)
        layout.addLayout(add)
        layout.addWidget(self.report, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.stage)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.add_button)
        layout.addLayout(bottom)

        self._own_thread = thread is None
        if thread is None:
            thread = QThread(self)
            thread.setObjectName("lampdesk-sources")
        self.thread_ = thread
        self.worker = SourcesWorker(session)
        self.worker.moveToThread(self.thread_)
        self.preview_requested.connect(self.worker.preview)
        self.rescan_requested.connect(self.worker.preview_rescan)
        self.apply_requested.connect(self.worker.apply)
        self.remove_requested.connect(self.worker.remove)
        self.refresh_requested.connect(self.worker.refresh)
        self.worker.listed.connect(self._on_listed)
        self.worker.previewed.connect(self._on_previewed)
        self.worker.progress.connect(self._on_progress)
        self.worker.imported.connect(self._on_imported)
        self.worker.removed.connect(self._on_removed)
        self.worker.cancelled.connect(self._on_message)
        self.worker.failed.connect(self._on_message)
        self.worker.busy.connect(self._on_busy)
        if self._own_thread:
            self.thread_.start()

        self.browse_button.clicked.connect(self._browse)
        self.preview_button.clicked.connect(self.request_preview)
        self.add_button.clicked.connect(self.request_apply)
        self.cancel_button.clicked.connect(self.request_cancel)
        self.rescan_button.clicked.connect(self._rescan_selected)
        self.remove_button.clicked.connect(self._remove_selected)
        self.refresh_requested.emit()

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh_requested.emit()
        super().showEvent(event)

    # -- requests (GUI thread) ---------------------------------------------------------------

    def _start(self) -> None:
        self.worker.cancel.clear()  # here, before the job is queued: a quick cancel still counts
        self.add_button.setEnabled(False)
        self.cancel_button.setEnabled(True)

    @Slot()
    def request_preview(self) -> None:
        path = self.path.text().strip()
        if not path:
            self._on_message("Choose a folder or a file first.")
            return
        self._start()
        self.preview_requested.emit(str(self.kind.currentData()), path)

    @Slot()
    def request_apply(self) -> None:
        self._start()
        self.apply_requested.emit()

    @Slot()
    def request_cancel(self) -> None:
        self.worker.cancel.set()

    def _selected(self) -> int | None:
        item = self.sources.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    @Slot()
    def _rescan_selected(self) -> None:
        source_id = self._selected()
        if source_id is not None:
            self._start()
            self.rescan_requested.emit(source_id)

    @Slot()
    def _remove_selected(self) -> None:
        source_id = self._selected()
        if source_id is not None:
            self._start()
            self.remove_requested.emit(source_id)

    @Slot()
    def _browse(self) -> None:
        if self.kind.currentData() == "folder":
            chosen = QFileDialog.getExistingDirectory(self, "A folder of notes or documents")
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "An export", "", "Exports (*.zip *.json);;All files (*)"
            )
        if chosen:
            self.path.setText(chosen)

    # -- what the worker says ----------------------------------------------------------------

    @Slot(list)
    def _on_listed(self, sources: list[dict[str, Any]]) -> None:
        self.sources.clear()
        for s in sources:
            item = QListWidgetItem(
                f"[{s['id']}] {s['label']}: {s['items']} items, {s['interactions']} exchanges, "
                f"{s['files']} files · {s['path']}"
            )
            item.setData(Qt.ItemDataRole.UserRole, s["id"])
            self.sources.addItem(item)
        self.list_shown.emit(len(sources))

    @Slot(dict)
    def _on_previewed(self, plan: dict[str, Any]) -> None:
        self.report.setHtml(plan_html(plan))
        self.add_button.setEnabled(bool(plan["files"] or plan["removed"]))
        self.add_button.setText("Apply changes" if plan["source_id"] else "Add")
        self.stage.setText("Preview ready: nothing is added until you press Add.")
        self.preview_shown.emit(plan)

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(STAGE_NAMES.get(stage, stage))
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    @Slot(dict)
    def _on_imported(self, report: dict[str, Any]) -> None:
        self.report.setHtml(plan_html(report, done=True))
        self.stage.setText(
            "Added." if report["indexed"] else "Added; the rest is indexed on your next question."
        )
        self.import_shown.emit(report)

    @Slot(int, int)
    def _on_removed(self, source_id: int, items: int) -> None:
        self.report.setHtml(f"<p>Removed source {source_id} and its {items} items.</p>")

    @Slot(str)
    def _on_message(self, message: str) -> None:
        self.stage.setText(message.splitlines()[0])
        self.report.setHtml(f"<p style='color:#b00020'>{html.escape(message)}</p>")
        self.message_shown.emit(message)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        for button in (self.preview_button, self.rescan_button, self.remove_button):
            button.setEnabled(not busy)
        if busy:
            self.progress.setValue(0)

    @Slot()
    def shutdown(self) -> None:
        """Stop the work, and the thread if it is the dialog's own (safe to call twice); the
        window calls this as it closes: the dialog only hides between uses, its worker kept."""
        self.worker.cancel.set()
        if self._own_thread:
            self.thread_.quit()
            self.thread_.wait()
