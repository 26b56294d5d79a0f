"""Get models: the catalogue in a dialog (Settings > Models > Get models…) and as a step of the
first-run wizard, with download progress and cancel.

A :class:`DownloadWorker` on its own ``QThread`` runs :func:`lampdesk.inference.download.download`
and talks back only through signals; these widgets only paint what it reports.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from lampdesk.errors import LampdeskError
from lampdesk.inference import catalog
from lampdesk.inference.download import Progress, download, plan_download
from lampdesk.inference.models import ModelRegistry
from lampdesk.paths import DataPaths
from lampdesk.ui.qt import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QObject,
    QProgressBar,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QThread,
    QVBoxLayout,
    QWidget,
    QWizardPage,
    Signal,
    Slot,
)

OFFLINE_NOTE = (
    "Offline? Put a GGUF file anywhere on this computer (for example in {folder}) and add it "
    "with Settings > Models > Add a GGUF file…, or 'lampdesk model add FILE.gguf'."
)


class DownloadWorker(QObject):
    """Downloads one catalogue model at a time, off the GUI thread."""

    progress = Signal(str, float, float)  # phase, bytes done, bytes in all (0: unknown)
    finished = Signal(dict)  # the added model (ModelInfo.as_json())
    failed = Signal(str)  # a message for the user (a cancel included)

    def __init__(self, paths: DataPaths) -> None:
        super().__init__()
        self._paths = paths
        self._cancel = threading.Event()

    @Slot(str, bool)
    def start(self, name: str, use: bool) -> None:
        self._cancel.clear()
        try:
            entry = catalog.find(name)
            info = download(self._paths, entry, report=self._report, cancel=self._cancel)
            if use:
                ModelRegistry(self._paths).use(info.name)
        except LampdeskError as exc:
            self.failed.emit(str(exc))
            return
        except OSError as exc:
            self.failed.emit(f"The download failed: {exc.strerror or exc}")
            return
        self.finished.emit(info.as_json())

    def _report(self, progress: Progress) -> None:
        self.progress.emit(progress.phase, float(progress.done), float(progress.total or 0))

    def cancel(self) -> None:
        """Called from the GUI thread: a plain ``threading.Event``."""
        self._cancel.set()


class _Downloader(QObject):
    """A worker on its own thread (running only while it downloads), and the bar showing its
    progress."""

    start_requested = Signal(str, bool)

    def __init__(self, paths: DataPaths, parent: QObject) -> None:
        super().__init__(parent)
        self.paths = paths
        self.worker_thread = QThread(self)
        self.worker = DownloadWorker(paths)
        self.worker.moveToThread(self.worker_thread)
        self.start_requested.connect(self.worker.start)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setVisible(False)
        self.worker.progress.connect(self._paint)
        self.busy = False

    def start(self, name: str, use: bool) -> None:
        self.busy = True
        self.worker_thread.start()
        self.bar.setValue(0)
        self.bar.setVisible(True)
        self.start_requested.emit(name, use)

    @Slot(str, float, float)
    def _paint(self, phase: str, done: float, total: float) -> None:
        if phase == "connecting":
            self.bar.setFormat("Connecting…")
            self.bar.setValue(0)
            return
        verb = "Downloading" if phase == "downloading" else "Checking SHA-256"
        self.bar.setFormat(f"{verb}: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB (%p%)")
        self.bar.setValue(int(done * 1000 / total) if total else 0)

    def done(self) -> None:
        """The worker has answered: its thread has nothing more to do."""
        self.busy = False
        self.bar.setVisible(False)
        self.worker_thread.quit()
        self.worker_thread.wait()

    def shutdown(self) -> None:
        self.worker.cancel()
        self.worker_thread.quit()
        self.worker_thread.wait()


class ModelCatalogDialog(QDialog):
    """The catalogue: what each model costs, which one suits this computer, and Download."""

    #: A model was downloaded and added (its name).
    model_added = Signal(str)
    #: A download ended, well or not: the message shown (emitted on the GUI thread).
    download_ended = Signal(str)

    def __init__(self, paths: DataPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get models")
        self.resize(860, 520)
        self.paths = paths
        self.entries = catalog.load_catalog()
        self.machine = catalog.Machine.probe(paths.models_dir)
        self.recommended = catalog.recommend(self.machine, self.entries)
        self.table = QTableWidget(len(self.entries), 5)
        self.table.setHorizontalHeaderLabels(
            ["Model", "Download", "Memory", "Licence", "Languages"]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, entry in enumerate(self.entries):
            title = entry.title
            if self.recommended is not None and entry.name == self.recommended.name:
                title += "  (recommended here)"
            elif not catalog.fits(entry, self.machine):
                title += "  (too big for this computer)"
            cells = [title, f"{entry.size_mb:,} MB", f"{entry.ram_mb / 1000:.1f} GB",
                     entry.license, ", ".join(entry.languages)]  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.name)
                item.setToolTip(entry.good_for)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._describe)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setOpenExternalLinks(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.message = QLabel(OFFLINE_NOTE.format(folder=paths.models_dir))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.downloader = _Downloader(paths, self)
        self.downloader.worker.finished.connect(self._finished)
        self.downloader.worker.failed.connect(self._failed)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.downloader.bar)
        layout.addWidget(self.message)
        if self.recommended is not None:
            self.select(self.recommended.name)

    def select(self, name: str) -> None:
        for row, entry in enumerate(self.entries):
            if entry.name == name:
                self.table.selectRow(row)

    def selected(self) -> catalog.CatalogEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _describe(self) -> None:
        entry = self.selected()
        if entry is None:
            self.details.setText("")
            return
        try:
            where = plan_download(self.paths, entry).describe()
        except LampdeskError as exc:
            where = str(exc)
        self.details.setText(
            f"<b>{html.escape(entry.title)}</b>: {html.escape(entry.good_for)}<br>"
            f"{html.escape(catalog.cost_text(entry))}<br>{html.escape(where)}<br>"
            f'<a href="{html.escape(entry.license_url)}">Read the licence</a>'
        )

    # -- to the worker -------------------------------------------------------------------------

    def start_download(self) -> None:
        entry = self.selected()
        if entry is None or self.downloader.busy:
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.message.setText(f"Downloading {entry.title}…")
        self.downloader.start(entry.name, False)

    def cancel_download(self) -> None:
        self.downloader.worker.cancel()
        self.message.setText("Cancelling…")

    # -- from the worker -----------------------------------------------------------------------

    @Slot(dict)
    def _finished(self, model: dict[str, Any]) -> None:
        self._idle()
        self.message.setText(
            f"Downloaded, checked and added {model['name']}. Choose it in Settings > Models and "
            "press 'Use this model'."
        )
        self.model_added.emit(model["name"])
        self.download_ended.emit(self.message.text())

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._idle()
        self.message.setText(message)
        self.download_ended.emit(message)

    def _idle(self) -> None:
        self.downloader.done()
        self.download_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Cancel a download in progress and stop the worker's thread."""
        self.downloader.shutdown()

    def done(self, result: int) -> None:
        if self.downloader.busy:
            self.cancel_download()
        super().done(result)


class ModelStepPage(QWizardPage):
    """First run: the catalogue's recommendation for this computer, or keep the built-in model."""

    def __init__(self, paths: DataPaths, machine: catalog.Machine | None = None) -> None:
        super().__init__()
        self.setTitle("A better model (optional)")
        self.paths = paths
        self.machine = machine or catalog.Machine.probe(paths.models_dir)
        self.recommended = catalog.recommend(self.machine)
        self.downloaded: str | None = None
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.download_button = QPushButton("Download it now")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        self.download_button.clicked.connect(self.start_download)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.downloader = _Downloader(paths, self)
        self.downloader.worker.finished.connect(self._finished)
        self.downloader.worker.failed.connect(self._failed)
        # Called here, on the GUI thread: the worker's thread is busy downloading.
        self.cancel_button.clicked.connect(self.cancel_download)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        layout.addWidget(self.downloader.bar)
        layout.addWidget(self.message)
        layout.addStretch(1)
        builtin = (
            "LampDesk comes with a small built-in model that works offline right away, but "
            "writes plainly."
        )
        if self.recommended is None:
            self.text.setText(
                builtin + " No model in the catalogue fits this computer's memory and disk: "
                "keep the built-in one (press Finish)."
            )
            self.download_button.setVisible(False)
        else:
            try:
                where = plan_download(paths, self.recommended).describe()
            except LampdeskError as exc:
                where = str(exc)
            self.text.setText(
                f"{builtin}\n\nRecommended for this computer: {catalog.cost_text(self.recommended)}"
                f"\n\n{where}\n\nSkip this step (press Finish) to keep the built-in model; "
                "Settings > Models > Get models… has more."
            )

    def start_download(self) -> None:
        if self.recommended is None or self.downloader.busy:
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.message.setText(f"Downloading {self.recommended.title}…")
        self.downloader.start(self.recommended.name, True)
        self.completeChanged.emit()

    def cancel_download(self) -> None:
        self.downloader.worker.cancel()
        self.message.setText("Cancelling…")

    @Slot(dict)
    def _finished(self, model: dict[str, Any]) -> None:
        self.downloader.done()
        self.downloaded = str(model["name"])
        self.cancel_button.setEnabled(False)
        self.message.setText(f"Downloaded and checked: LampDesk answers with {model['name']}.")
        self.completeChanged.emit()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.downloader.done()
        self.download_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.message.setText(message + " The built-in model stays in use.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.downloader.busy

    def shutdown(self) -> None:
        self.downloader.shutdown()
