"""The window's dialogs and the buttons that open them: answer length, profile, memories,
settings (and its model catalog), sources.

Each dialog asks the assistant worker through its own signals; this part connects them and
opens the dialogs when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lampdesk.paths import DataPaths
from lampdesk.ui import widgets
from lampdesk.ui.answer_settings import AnswerSettings
from lampdesk.ui.memory_browser import MemoryBrowser
from lampdesk.ui.model_catalog_dialog import ModelCatalogDialog
from lampdesk.ui.profile_editor import ProfileEditor
from lampdesk.ui.qt import QHBoxLayout, QObject, QThread, QWidget, Signal, Slot
from lampdesk.ui.settings_dialog import SettingsDialog
from lampdesk.ui.sources_dialog import SourcesDialog
from lampdesk.ui.workers import AssistantWorker


class WindowDialogs(QObject):
    """Opens the window's dialogs; each is made once and hidden between uses."""

    generation_requested = Signal(dict)

    def __init__(
        self,
        window: QWidget,
        paths: DataPaths,
        worker: AssistantWorker,
        worker_thread: QThread,
        current_hotkey: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self._window, self._paths = window, paths
        # The Sources dialog's work runs on the worker's thread, next to the open profile.
        self._worker, self._worker_thread = worker, worker_thread
        self._current_hotkey = current_hotkey
        self.answer_length = widgets.button(
            "Answer length…",
            self.show_answer_settings,
            "Temperature and the answer length limit (next question)",
        )
        self.profile_button = widgets.button(
            "Profile…", self.show_profile, "What LampDesk knows about you, its rules and template"
        )
        self.memories_button = widgets.button(
            "Memories…", self.show_memories, "See, edit, pin and forget what LampDesk remembers"
        )
        self.settings_button = widgets.button("Settings…", self.show_settings)
        self.sources_button = widgets.button(
            "Sources…",
            self.open_sources,
            "Build your profile from notes, documents and chat exports",
        )

        self.answer_settings = AnswerSettings(window)
        self.generation_requested.connect(worker.generation)
        self.answer_settings.save_requested.connect(self.generation_requested)
        worker.generation_loaded.connect(self._on_generation)
        worker.ready.connect(self._on_ready)
        self.memory_browser = MemoryBrowser(window)
        self.memory_browser.refresh_requested.connect(worker.memories)
        self.memory_browser.action_requested.connect(worker.change_memory)
        worker.memories_loaded.connect(self.memory_browser.show_snapshot)
        self.profile_editor = ProfileEditor(window)
        self.profile_editor.refresh_requested.connect(worker.profile_state)
        self.profile_editor.save_requested.connect(worker.edit_profile)
        worker.profile_loaded.connect(self.profile_editor.show_state)
        self.settings_dialog = SettingsDialog(window)
        self.settings_dialog.refresh_requested.connect(worker.settings_state)
        self.settings_dialog.action_requested.connect(worker.change_settings)
        worker.settings_loaded.connect(self.settings_dialog.show_state)
        self.settings_dialog.get_models_requested.connect(self.show_model_catalog)
        self.model_catalog: ModelCatalogDialog | None = None
        self.sources: SourcesDialog | None = None

    def add_buttons(self, row: QHBoxLayout) -> None:
        """The buttons, in the window's options row (Sources last, after the API switch)."""
        for button in (self.answer_length, self.profile_button, self.memories_button):
            row.addWidget(button)
        row.addWidget(self.settings_button)

    @Slot()
    def show_profile(self) -> None:
        self.profile_editor.show()
        self.profile_editor.raise_()
        self.profile_editor.refresh_requested.emit()

    @Slot()
    def show_model_catalog(self) -> None:
        if self.model_catalog is None:
            self.model_catalog = ModelCatalogDialog(self._paths, self._window)
            self.model_catalog.model_added.connect(self.settings_dialog.refresh_requested)
        self.model_catalog.show()
        self.model_catalog.raise_()

    @Slot()
    def show_settings(self) -> None:
        self.settings_dialog.show_hotkey(self._current_hotkey())
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.refresh_requested.emit()

    @Slot()
    def show_answer_settings(self) -> None:
        self.answer_settings.show()
        self.answer_settings.raise_()
        self.generation_requested.emit({})

    @Slot()
    def _on_ready(self) -> None:
        self.generation_requested.emit({})  # the answer length limit, shown

    @Slot(dict)
    def _on_generation(self, state: dict[str, Any]) -> None:
        self.answer_settings.show_state(state)
        if "max_tokens" in state:
            self.answer_length.setText(f"Answer length: {state['max_tokens']} tokens…")

    @Slot()
    def show_memories(self) -> None:
        self.memory_browser.show()
        self.memory_browser.raise_()
        self.memory_browser.refresh()

    @Slot()
    def open_sources(self) -> None:
        if self.sources is None:
            # Its work runs on the assistant's thread, the one that owns the open profile.
            self.sources = SourcesDialog(
                self._worker.session, self._window, thread=self._worker_thread
            )
        self.sources.show()

    def shutdown(self) -> None:
        if self.sources is not None:
            self.sources.shutdown()
        if self.model_catalog is not None:
            self.model_catalog.shutdown()
