"""Settings: models (add a GGUF, choose, remove; threads and context length), the retrieval
budget, and the profile's data (export, import, delete). Long steps (checking a GGUF, export,
import) show a busy bar while the assistant worker does them; this dialog only paints what it is
told."""

from __future__ import annotations

from typing import Any

from lampdesk.inference.models import MAX_CONTEXT, MAX_THREADS, MIN_CONTEXT
from lampdesk.ui import settings_work, widgets
from lampdesk.ui.backup_tab import BackupTab
from lampdesk.ui.qt import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QKeySequence,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    Qt,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)
from lampdesk.vault.strength import weakness

MIN_BUDGET, MAX_BUDGET = 0, 1536


class SettingsDialog(QDialog):
    refresh_requested = Signal()
    #: (action, argument, passphrase): add_model PATH, use_model NAME, remove_model NAME,
    #: engine "THREADS,CONTEXT" (threads 0: one per core), budget TOKENS, export PATH,
    #: import PATH, delete NAME.
    action_requested = Signal(settings_work.SettingsRequest)
    #: Emitted after the worker's answer has been painted.
    shown_state = Signal()
    #: "Get models…": the window opens the catalogue (lampdesk/ui/model_catalog_dialog.py).
    get_models_requested = Signal()
    #: The quick-ask hotkey chosen ("Ctrl+Shift+Space"): the window grabs it again and answers
    #: with :meth:`show_hotkey`.
    hotkey_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(600, 420)
        self.state: dict[str, Any] = {}

        self.models = QListWidget()
        self.add_model_button = QPushButton("Add a GGUF file…")
        self.use_button = QPushButton("Use this model")
        self.remove_button = QPushButton("Remove")
        self.get_models_button = QPushButton("Get models…")
        self.get_models_button.clicked.connect(self.get_models_requested)
        self.add_model_button.clicked.connect(self._add_model)
        self.use_button.clicked.connect(lambda: self._on_model(settings_work.UseModel))
        self.remove_button.clicked.connect(lambda: self._on_model(settings_work.RemoveModel))
        models_tab = QWidget()
        models_layout = QVBoxLayout(models_tab)
        models_layout.addWidget(self.models, 1)
        model_buttons = QHBoxLayout()
        for button in (self.add_model_button, self.use_button, self.remove_button):
            model_buttons.addWidget(button)
        model_buttons.addWidget(self.get_models_button)
        models_layout.addLayout(model_buttons)
        self.threads = QSpinBox()
        self.threads.setRange(0, MAX_THREADS)
        self.threads.setSpecialValueText("automatic (one per core)")
        self.context = QSpinBox()
        self.context.setRange(MIN_CONTEXT, MAX_CONTEXT)
        self.context.setSingleStep(1024)
        self.context.setSuffix(" tokens")
        self.engine_button = QPushButton("Apply")
        self.engine_button.clicked.connect(
            lambda: self.request(
                settings_work.ChangeEngine(self.threads.value(), self.context.value())
            )
        )
        engine_form = QFormLayout()
        engine_form.addRow("Threads", self.threads)
        engine_row = QHBoxLayout()
        engine_row.addWidget(self.context)
        engine_row.addWidget(self.engine_button)
        engine_form.addRow("Context length", engine_row)
        models_layout.addLayout(engine_form)
        models_layout.addWidget(
            QLabel(
                "A new model, threads and context length are loaded at once (the bar below "
                "shows it) and answer the next question; no restart. A longer context holds "
                "longer conversations but needs more memory.",
                wordWrap=True,
            )
        )

        self.budget = QSpinBox()
        self.budget.setRange(MIN_BUDGET, MAX_BUDGET)
        self.budget.setSingleStep(64)
        self.budget.setSuffix(" tokens")
        self.budget_button = QPushButton("Apply")
        self.budget_button.clicked.connect(
            lambda: self.action_requested.emit(settings_work.SetBudget(self.budget.value()))
        )
        retrieval_tab = QWidget()
        form = QFormLayout(retrieval_tab)
        row = QHBoxLayout()
        row.addWidget(self.budget)
        row.addWidget(self.budget_button)
        form.addRow("Remembered items per prompt", row)
        form.addRow(QLabel("More items: more personal, but a slower first word.", wordWrap=True))

        self.export_button = widgets.button("Export this profile…", self._export)
        self.import_button = widgets.button("Import a profile file…", self._import)
        self.delete_button = widgets.button("Delete this profile…", self._delete)
        data_tab = QWidget()
        data_layout = QVBoxLayout(data_tab)
        for button in (self.export_button, self.import_button, self.delete_button):
            data_layout.addWidget(button)
        data_layout.addWidget(
            QLabel(
                "Export files are encrypted with a passphrase you choose; keep it safe.",
                wordWrap=True,
            )
        )
        data_layout.addStretch(1)

        self.hotkey_edit = QKeySequenceEdit()
        self.hotkey_edit.setMaximumSequenceLength(1)  # one chord: a global key has no sequel
        self.hotkey_button = QPushButton("Apply")
        self.hotkey_button.clicked.connect(self._apply_hotkey)
        self.hotkey_note = QLabel(
            "Opens the quick-ask popup over any application (on X11). Wayland lets no program "
            "take a global key; there, and on macOS and Windows, use the tray's Quick ask….",
            wordWrap=True,
        )
        self.hotkey_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hotkey_tab = QWidget()
        hotkey_form = QFormLayout(hotkey_tab)
        hotkey_row = QHBoxLayout()
        hotkey_row.addWidget(self.hotkey_edit, 1)
        hotkey_row.addWidget(self.hotkey_button)
        hotkey_form.addRow("Quick ask hotkey", hotkey_row)
        hotkey_form.addRow(self.hotkey_note)

        self.tabs = QTabWidget()
        self.tabs.addTab(models_tab, "Models")
        self.tabs.addTab(retrieval_tab, "Retrieval")
        self.tabs.addTab(data_tab, "Data")
        self.tabs.addTab(hotkey_tab, "Quick ask")
        self.backup_tab = BackupTab(self.request)
        self.tabs.addTab(self.backup_tab, "Backups")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the worker is on it
        self.progress.setVisible(False)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

    # -- from the worker ---------------------------------------------------------------------

    @Slot(dict)
    def show_state(self, state: dict[str, Any]) -> None:
        self.progress.setVisible(False)
        self.setEnabled(True)
        if "message" in state:
            self.message.setText(state["message"])
        if "models" in state:
            self.state = state
            self.models.clear()
            for model in state["models"]:
                size = model["size_bytes"] / 1e6
                active = "  (in use)" if model["name"] == state["active"] else ""
                item = QListWidgetItem(f"{model['name']} · {size:.0f} MB{active}")
                item.setData(Qt.ItemDataRole.UserRole, model["name"])
                self.models.addItem(item)
            self.budget.setValue(int(state["budget"]))
            engine = state["engine"]
            self.threads.setValue(int(engine["threads"] or 0))
            self.context.setMaximum(int(state["max_context"]))
            self.context.setValue(int(engine["context_length"]))
        if "backups" in state:
            self.backup_tab.show_backups(state["backups"])
        self.shown_state.emit()

    def show_hotkey(self, keys: str, message: str = "") -> None:
        """The hotkey in use (or the one to offer) and what happened to the last choice."""
        self.hotkey_edit.setKeySequence(QKeySequence(keys))
        if message:
            self.hotkey_note.setText(message)

    @Slot()
    def _apply_hotkey(self) -> None:
        keys = self.hotkey_edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if not keys:
            self.hotkey_note.setText("Press the keys for the hotkey first (e.g. Ctrl+Shift+Space).")
            return
        self.hotkey_requested.emit(keys)

    # -- to the worker -----------------------------------------------------------------------

    def request(self, request: settings_work.SettingsRequest) -> None:
        self.progress.setVisible(True)
        self.message.setText(request.working())
        self.action_requested.emit(request)

    def _on_model(
        self, action: type[settings_work.UseModel] | type[settings_work.RemoveModel]
    ) -> None:
        item = self.models.currentItem()
        if item is not None:
            self.request(action(str(item.data(Qt.ItemDataRole.UserRole))))

    def _add_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a model", "", "GGUF models (*.gguf)")
        if path:
            self.request(settings_work.AddModel(path))

    def _passphrase(self, title: str, confirm: bool) -> str | None:
        text, ok = QInputDialog.getText(
            self, title, "Passphrase for the export file:", QLineEdit.EchoMode.Password
        )
        if not ok or not text:
            return None
        if confirm and (reason := weakness(text)) is not None:
            self.message.setText(reason + " Nothing was exported.")
            return None
        if confirm:
            again, ok = QInputDialog.getText(
                self, title, "The same passphrase again:", QLineEdit.EchoMode.Password
            )
            if not ok or again != text:
                self.message.setText("The passphrases differ: nothing was exported.")
                return None
        return text

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export profile", "", "LampDesk (*.lampdesk)")
        passphrase = self._passphrase("Export profile", confirm=True) if path else None
        if path and passphrase:
            self.request(settings_work.ExportProfile(path, passphrase))

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import profile", "", "LampDesk (*.lampdesk)")
        passphrase = self._passphrase("Import profile", confirm=False) if path else None
        if path and passphrase:
            self.request(settings_work.ImportProfile(path, passphrase))

    def _delete(self) -> None:
        name = str(self.state.get("profile", ""))
        if widgets.confirmed(
            self,
            "Delete profile",
            f"Delete profile {name!r} and everything LampDesk remembers in it? "
            "This cannot be undone.",
        ):
            self.request(settings_work.DeleteProfile(name))
