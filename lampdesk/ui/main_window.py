"""LampDesk's main window: ask, watch the answer stream, stop, see why, react."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from lampdesk.app import LampDesk
from lampdesk.conversations import CONTINUE_QUESTION
from lampdesk.errors import KeyUnavailableError, LampdeskError
from lampdesk.paths import DataPaths, atomic_write
from lampdesk.resident import Commands, ResidentServer
from lampdesk.ui import hotkey, window_menus
from lampdesk.ui.answer_settings import AnswerSettings
from lampdesk.ui.api_toggle import API_PORT, ApiRunner
from lampdesk.ui.backup_tab import offer_restore
from lampdesk.ui.chat_view import ChatView
from lampdesk.ui.first_run import FirstRun, FirstRunWizard
from lampdesk.ui.memory_browser import MemoryBrowser
from lampdesk.ui.model_catalog_dialog import ModelCatalogDialog
from lampdesk.ui.profile_editor import ProfileEditor
from lampdesk.ui.qt import (
    QApplication,
    QCheckBox,
    QCloseEvent,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QKeySequence,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QThread,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)
from lampdesk.ui.quick_ask import QuickAsk, Tray
from lampdesk.ui.settings_dialog import SettingsDialog
from lampdesk.ui.sources_dialog import SourcesDialog
from lampdesk.ui.thread_work import NEW_THREAD, TEMPORARY_THREAD
from lampdesk.ui.threads_sidebar import THREAD_ROLE, ThreadsSidebar
from lampdesk.ui.why_panel import WhyPanel
from lampdesk.ui.workers import AssistantWorker
from lampdesk.vault.keys import (
    ENV_PASSPHRASE,
    KeyMode,
    choose_mode_for_new_profile,
    keyring_usable,
)
from lampdesk.vault.profiles import ProfileRegistry

#: How often streamed text is painted: batching keeps the window responsive.
FLUSH_INTERVAL_MS = 50
QUICK_ASK_SHORTCUT = "Ctrl+Shift+Space"


class MainWindow(QMainWindow):
    ask_requested = Signal(str, bool)
    ask_thread_requested = Signal(str, bool, int, str)
    threads_requested = Signal(str)
    open_thread_requested = Signal(int)
    thread_change_requested = Signal(str, int, str)
    #: Emitted once a stored conversation has been painted in the chat view.
    thread_shown = Signal(int)
    generation_requested = Signal(dict)
    open_requested = Signal()
    feedback_requested = Signal(int, str)
    edit_answer_requested = Signal(int, str)
    history_requested = Signal()
    switch_requested = Signal(str)
    #: The user chose to restore the newest backup of a damaged profile.
    restore_requested = Signal()
    #: Emitted once the conversation list and profile switcher have been painted.
    history_shown = Signal()
    #: Emitted on the GUI thread once an answer (or an error) has been painted.
    answer_shown = Signal(dict)
    error_shown = Signal(str)
    ready_shown = Signal()

    def __init__(
        self,
        paths: DataPaths,
        profile: str,
        passphrase: str | None,
        first_run: FirstRun | None = None,
        commands: Commands | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("LampDesk")
        self.resize(1000, 620)
        self._pending = ""
        self._answer = ""
        self._answering = False
        self._shut_down = False
        self._results: dict[int, dict[str, Any]] = {}
        self.last_result: dict[str, Any] | None = None
        self._asker: QuickAsk | None = None  # who asked the running question, if not the window

        #: The conversation asked in (NEW_THREAD until its first answer, TEMPORARY_THREAD).
        self.thread_id = NEW_THREAD
        self._quick_thread = NEW_THREAD
        self.transcript = ChatView()
        self.why = WhyPanel()
        self.sidebar = ThreadsSidebar()
        self.conversations = self.sidebar.list
        self.conversations.setToolTip("Your conversations: click one to go on with it")
        self.profiles = QComboBox()
        self.profiles.setToolTip("Switch profile")
        self.profiles.activated.connect(self._switch_profile)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.profiles)
        left_layout.addWidget(self.sidebar, 1)
        self._exchanges: dict[int, dict[str, Any]] = {}
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.transcript)
        splitter.addWidget(self.why)
        splitter.setSizes([200, 520, 320])

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
        self.profile_button = QPushButton("Profile…")
        self.profile_button.setToolTip("What LampDesk knows about you, its rules and template")
        self.settings_button = QPushButton("Settings…")
        self.memories_button = QPushButton("Memories…")
        self.memories_button.setToolTip("See, edit, pin and forget what LampDesk remembers")
        self.personalize = QCheckBox("Use my profile")
        self.personalize.setChecked(True)
        self.temporary = QCheckBox("Temporary chat")
        self.temporary.setToolTip(
            "Uses your profile, but nothing of it is stored and LampDesk learns nothing from it"
        )
        self.temporary.toggled.connect(self._toggle_temporary)
        self.api_toggle = QCheckBox(f"Personal API for other programs (127.0.0.1:{API_PORT})")
        self.api_toggle.setToolTip(
            "Off by default. Only programs on this computer, with the token."
        )
        self.api_toggle.toggled.connect(self._toggle_api)
        self.api_status = QLabel("")
        self.api_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.api: ApiRunner | None = None
        self.api_port = API_PORT
        self._profile = profile
        self.status = QLabel("Opening your profile… Everything stays on this computer.")
        self.unlock_button = QPushButton("Unlock…")
        self.unlock_button.setVisible(False)
        self.unlock_button.clicked.connect(self._ask_passphrase)

        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.thumbs_up)
        row.addWidget(self.thumbs_down)
        row.addWidget(self.edit_answer)
        layout = QVBoxLayout()
        layout.addWidget(splitter, 1)
        layout.addLayout(row)
        options = QHBoxLayout()
        options.addWidget(self.personalize)
        options.addWidget(self.temporary)
        self.answer_length = QPushButton("Answer length…")
        self.answer_length.setToolTip("Temperature and the answer length limit (next question)")
        self.answer_length.clicked.connect(self.show_answer_settings)
        options.addWidget(self.answer_length)
        options.addWidget(self.profile_button)
        options.addWidget(self.memories_button)
        options.addWidget(self.settings_button)
        options.addWidget(self.api_toggle)
        options.addWidget(self.api_status, 1)
        self.sources_button = QPushButton("Sources…")
        self.sources_button.setToolTip("Build your profile from notes, documents and chat exports")
        self.sources_button.clicked.connect(self.open_sources)
        options.addWidget(self.sources_button)
        self.sources: SourcesDialog | None = None
        layout.addLayout(options)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.unlock_button)
        layout.addLayout(status_row)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

        self.thread_ = QThread(self)
        self.thread_.setObjectName("lampdesk-assistant")
        # One set of services (and so one copy of each model) for the window and the API.
        self._passphrase = passphrase
        self.lampdesk = LampDesk(paths, prompt=self._give_passphrase)
        self.worker = AssistantWorker(self.lampdesk, profile, first_run)
        self.worker.moveToThread(self.thread_)
        self.ask_requested.connect(self.worker.ask)
        self.ask_thread_requested.connect(self.worker.ask_in_thread)
        self.threads_requested.connect(self.worker.threads)
        self.open_thread_requested.connect(self.worker.open_thread)
        self.thread_change_requested.connect(self.worker.change_thread)
        self.worker.threads_loaded.connect(self._on_threads)
        self.worker.thread_loaded.connect(self._on_thread)
        self.answer_settings = AnswerSettings(self)
        self.generation_requested.connect(self.worker.generation)
        self.answer_settings.save_requested.connect(self.generation_requested)
        self.worker.generation_loaded.connect(self._on_generation)
        self.transcript.feedback_requested.connect(self.feedback_requested)
        self.transcript.why_requested.connect(self._show_why)
        self.transcript.regenerate_requested.connect(self.regenerate)
        self.transcript.continue_requested.connect(self.continue_answer)
        self.transcript.resend_requested.connect(self.resend)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.thread_selected.connect(self.open_thread)
        self.sidebar.search_requested.connect(self.threads_requested)
        self.sidebar.rename_requested.connect(
            lambda thread_id, title: self.thread_change_requested.emit("rename", thread_id, title)
        )
        self.sidebar.delete_requested.connect(self._delete_thread)
        self.sidebar.export_requested.connect(self._export_thread)
        self.open_requested.connect(self.worker.open_profile)
        self.feedback_requested.connect(self.worker.feedback)
        self.worker.opened.connect(self._on_opened)
        self.history_requested.connect(self.worker.history)
        self.switch_requested.connect(self.worker.switch_profile)
        self.worker.history_loaded.connect(self._on_history)
        self.worker.ready.connect(self._on_ready)
        self.worker.chunk.connect(self._on_chunk)
        self.worker.answered.connect(self._on_answered)
        self.worker.failed.connect(self._on_failed)
        self.worker.damaged.connect(
            lambda message: offer_restore(self, message, self.restore_requested.emit)
        )
        self.restore_requested.connect(self.worker.restore_latest)
        self.worker.locked.connect(self._on_locked)
        self.worker.busy.connect(self._on_busy)
        self.worker.feedback_saved.connect(self._on_feedback_saved)
        self.edit_answer_requested.connect(self.worker.edit_answer)
        self.memory_browser = MemoryBrowser(self)
        self.memory_browser.refresh_requested.connect(self.worker.memories)
        self.memory_browser.action_requested.connect(self.worker.change_memory)
        self.worker.memories_loaded.connect(self.memory_browser.show_snapshot)
        self.memories_button.clicked.connect(self.show_memories)
        self.profile_editor = ProfileEditor(self)
        self.profile_editor.refresh_requested.connect(self.worker.profile_state)
        self.profile_editor.save_requested.connect(self.worker.edit_profile)
        self.worker.profile_loaded.connect(self.profile_editor.show_state)
        self.profile_button.clicked.connect(self.show_profile)
        self.settings_dialog = SettingsDialog(self)
        self.settings_dialog.refresh_requested.connect(self.worker.settings_state)
        self.settings_dialog.action_requested.connect(self.worker.change_settings)
        self.worker.settings_loaded.connect(self.settings_dialog.show_state)
        self.settings_button.clicked.connect(self.show_settings)
        self.settings_dialog.get_models_requested.connect(self.show_model_catalog)
        self.settings_dialog.hotkey_requested.connect(self._on_hotkey_chosen)
        self.model_catalog: ModelCatalogDialog | None = None
        self.thread_.start()

        # While the window is open, `lampdesk` commands in a terminal run here, with the models
        # already loaded (and the profile not opened twice); `commands` is the CLI's dispatch.
        self.resident: ResidentServer | None = None
        if commands is not None:
            try:
                self.resident = ResidentServer(paths, commands(self.lampdesk))
            except OSError:
                self.resident = None  # another LampDesk already serves this data directory

        self.quick_ask = QuickAsk(self)
        self.quick_ask.asked.connect(self._on_quick_ask)
        self.quick_ask.open_in_window.connect(self._quick_ask_in_window)
        self.tray = Tray(self, self.quick_ask, self.quit_app)
        self._paths = paths
        self.close_to_tray = QCheckBox("Keep running in the tray when closed")
        self.close_to_tray.setVisible(self.tray.available)
        self.close_to_tray.setChecked(
            self.tray.available and self._window_settings().get("close_to_tray", False)
        )
        self.close_to_tray.toggled.connect(self._save_close_to_tray)
        options.addWidget(self.close_to_tray)
        self.tray_note = QLabel(
            f"No system tray here: LampDesk runs in this window; quick ask is {QUICK_ASK_SHORTCUT}."
        )
        self.tray_note.setVisible(not self.tray.available)
        status_row.addWidget(self.tray_note)

        self.ask_button.clicked.connect(self.submit)
        self.question.returnPressed.connect(self.submit)
        self.stop_button.clicked.connect(self.stop)
        QShortcut(QKeySequence("Escape"), self, self.stop)
        QShortcut(QKeySequence(QUICK_ASK_SHORTCUT), self, self.quick_ask.popup)
        self.find_bar = window_menus.install(self)
        self.hotkey: hotkey.GlobalHotkey | None = None
        if QApplication.platformName() == "xcb":  # a real X11 display (not offscreen tests)
            self.set_hotkey(
                self._window_settings().get(hotkey.HOTKEY_SETTING) or QUICK_ASK_SHORTCUT
            )
        layout.insertWidget(1, self.find_bar)
        self.open_requested.emit()

    # -- asking ------------------------------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        question = self.question.text().strip()
        if question and self.ask_button.isEnabled():
            self.question.clear()
            self._start(question, None)

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
            thread = self._quick_thread
        else:
            if how != "regenerate":
                self.transcript.add_question(shown or question)
            self.transcript.start_answer()
        self.ask_thread_requested.emit(question, self.personalize.isChecked(), thread, how)

    def set_hotkey(self, keys: str) -> str:
        """Take *keys* as the system-wide quick-ask hotkey; what happened, in words. When it
        cannot be taken, the hotkey grabbed before (if any) is grabbed again and kept."""
        if self.hotkey is None:
            self.hotkey, problem = hotkey.install(self.quick_ask.popup, keys)
        else:
            previous = self.hotkey.hotkey
            try:
                self.hotkey.start(keys)
                problem = None
            except hotkey.HotkeyError as exc:
                problem = str(exc)
                if previous and previous != keys:
                    try:
                        self.hotkey.start(previous)
                        return f"{keys} cannot be the hotkey: {problem} {previous} still is."
                    except hotkey.HotkeyError:
                        pass
        if problem is None:
            self._paths.ensure_root()
            settings = {**self._window_settings(), hotkey.HOTKEY_SETTING: keys}
            atomic_write(self._paths.window_settings_file, json.dumps(settings))
            return f"Quick ask from anywhere: {keys}."
        return f"The system-wide hotkey is off: {problem}"

    def current_hotkey(self) -> str:
        """The hotkey grabbed now, else the one kept in the window settings, else the default."""
        if self.hotkey is not None and self.hotkey.hotkey:
            return self.hotkey.hotkey
        return str(self._window_settings().get(hotkey.HOTKEY_SETTING) or QUICK_ASK_SHORTCUT)

    @Slot(str)
    def _on_hotkey_chosen(self, keys: str) -> None:
        message = self.set_hotkey(keys)
        self.settings_dialog.show_hotkey(self.current_hotkey(), message)
        self.status.setText(message)

    def _can_act(self) -> bool:
        """Message actions need an idle assistant and a stored conversation."""
        if not self.ask_button.isEnabled():
            self.status.setText("LampDesk is still answering; try again in a moment.")
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
    def new_chat(self) -> None:
        self.thread_id = TEMPORARY_THREAD if self.temporary.isChecked() else NEW_THREAD
        self.transcript.clear()
        self.sidebar.list.clearSelection()
        self.question.setFocus()
        if self.temporary.isChecked():
            self.thread_change_requested.emit("temporary", 0, "")

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
                self.thread_id = NEW_THREAD
            return
        self.open_thread_requested.emit(thread_id)

    @Slot(dict)
    def _on_thread(self, state: dict[str, Any]) -> None:
        if not self.ask_button.isEnabled():
            return  # an answer is streaming into the view: switching waits for it
        if self.temporary.isChecked():
            self.temporary.setChecked(False)
        self.thread_id = int(state["thread_id"])
        self.transcript.show_turns(state["turns"])
        self.setWindowTitle(f"{state['title']} — LampDesk")
        self.thread_shown.emit(self.thread_id)

    @Slot(dict)
    def _on_threads(self, state: dict[str, Any]) -> None:
        self.sidebar.show_threads(state["threads"], self.thread_id)
        others = [e for e in state.get("others", []) if not state.get("search")]
        self._exchanges.update({int(e["id"]): e for e in others})
        if others:
            header = QListWidgetItem("Other exchanges")
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            self.conversations.addItem(header)
        for exchange in others:
            item = QListWidgetItem(str(exchange["question"])[:80])
            item.setToolTip(f"{exchange['created_at'][:16].replace('T', ' ')}")
            item.setData(THREAD_ROLE, -int(exchange["id"]))
            self.conversations.addItem(item)
        if state.get("message"):
            self.status.setText(str(state["message"]))

    @Slot(int)
    def _delete_thread(self, thread_id: int) -> None:
        if thread_id == self.thread_id:
            self.new_chat()
        self.thread_change_requested.emit("delete", thread_id, "")

    @Slot(int)
    def _export_thread(self, thread_id: int) -> None:
        path = window_menus.export_path(self)
        if path:
            self.thread_change_requested.emit("export", thread_id, path)

    @Slot()
    def _quick_ask_in_window(self) -> None:
        """Go on with the popup's conversation in the window."""
        self.show()
        self.raise_()
        self.activateWindow()
        if self._quick_thread > 0 and self.ask_button.isEnabled():
            self.quick_ask.hide()
            self.open_thread(self._quick_thread)
            self._quick_thread = NEW_THREAD  # the popup starts afresh next time

    @Slot(str)
    def _on_quick_ask(self, question: str) -> None:
        if self.ask_button.isEnabled():
            self._start(question, self.quick_ask)
        else:
            self.quick_ask.show_text("LampDesk is still answering; try again in a moment.")

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
            self, "Edit answer", "The answer you wanted:", self.last_result["answer"]
        )
        if ok and text.strip() and text.strip() != self.last_result["answer"]:
            self.edit_answer_requested.emit(self.last_result["interaction_id"], text.strip())

    @Slot()
    def show_profile(self) -> None:
        self.profile_editor.show()
        self.profile_editor.raise_()
        self.profile_editor.refresh_requested.emit()

    @Slot()
    def show_model_catalog(self) -> None:
        if self.model_catalog is None:
            self.model_catalog = ModelCatalogDialog(self._paths, self)
            self.model_catalog.model_added.connect(self.settings_dialog.refresh_requested)
        self.model_catalog.show()
        self.model_catalog.raise_()

    @Slot()
    def show_settings(self) -> None:
        self.settings_dialog.show_hotkey(self.current_hotkey())
        self.settings_dialog.show()
        self.settings_dialog.raise_()
        self.settings_dialog.refresh_requested.emit()

    @Slot()
    def show_answer_settings(self) -> None:
        self.answer_settings.show()
        self.answer_settings.raise_()
        self.generation_requested.emit({})

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

    # -- what the worker says ----------------------------------------------------------------

    @Slot(str)
    def _on_opened(self, name: str) -> None:
        self._profile = name
        self.status.setText(f"Profile: {name} · loading the model… everything stays here.")
        self.history_requested.emit()

    @Slot(dict)
    def _on_history(self, history: dict[str, Any]) -> None:
        self.profiles.clear()
        self.profiles.addItems(history["profiles"])
        self.profiles.setCurrentText(history["profile"])
        self._exchanges = {int(e["id"]): e for e in history["exchanges"]}
        if history.get("switched"):
            self.new_chat()
        self._on_threads(history["threads"])
        self.history_shown.emit()

    @Slot(QListWidgetItem)
    def _show_exchange(self, item: QListWidgetItem) -> None:
        """An entry of the sidebar clicked: its conversation (or lone exchange) shown."""
        value = item.data(THREAD_ROLE)
        if value is not None:
            self.open_thread(int(value))

    @Slot(int)
    def _switch_profile(self, index: int) -> None:
        name = self.profiles.itemText(index)
        if name and name != self._profile and self.ask_button.isEnabled():
            self.status.setText(f"Opening profile {name}…")
            self.switch_requested.emit(name)

    @Slot()
    def _on_ready(self) -> None:
        self.generation_requested.emit({})  # the answer length limit, shown
        if self.ask_button.isEnabled():
            self.status.setText(self.status.text().replace("loading the model…", "ready ·"))
        self.ready_shown.emit()

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
            self._quick_thread = int(result.get("thread_id", NEW_THREAD))
        elif self.thread_id != TEMPORARY_THREAD:
            self.thread_id = int(result.get("thread_id", NEW_THREAD))
        interaction_id = result["interaction_id"]
        self._results[interaction_id] = result
        self._exchanges[interaction_id] = {
            "id": interaction_id,
            "question": result["question"],
            "answer": result["answer"],
        }
        self.last_result = result
        self.why.show_result(result)
        self.thumbs_up.setEnabled(True)
        self.thumbs_down.setEnabled(True)
        self.edit_answer.setEnabled(True)
        used = len(result["items"])
        note = result["note"] or f"personalised with {used} remembered item(s)"
        first = result["ttft_ms"]
        timing = f"first word after {first / 1000:.1f} s" if first is not None else "no output"
        stopped = " · stopped" if result["cancelled"] else ""
        if result.get("stopped_by") == "length":
            stopped = f" · stopped at the answer length limit ({result.get('max_tokens')} tokens)"
        self.status.setText(f"{note} · {result['tokens']} tokens · {timing}{stopped}")
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
    def _on_failed(self, message: str) -> None:
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

    @Slot(str)
    def _on_locked(self, message: str) -> None:
        self._on_failed(message)
        self.unlock_button.setVisible(True)

    def _give_passphrase(self, what: str, confirm: bool) -> str:
        """The core's passphrase prompt: the one typed on the GUI thread (never asked here)."""
        if self._passphrase is None:
            raise KeyUnavailableError(f"{what} is needed: use Unlock.")
        return self._passphrase

    @Slot()
    def _ask_passphrase(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Unlock LampDesk", "Passphrase:", QLineEdit.EchoMode.Password
        )
        if ok and text:
            self.unlock_with(text)

    def unlock_with(self, passphrase: str) -> None:
        """Try the profile again with *passphrase* (from the Unlock dialog)."""
        self._passphrase = passphrase
        self.unlock_button.setVisible(False)
        self.status.setText("Opening your profile…")
        self.open_requested.emit()

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.ask_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        if busy:
            self._flush_timer.start()
        else:
            self._flush_timer.stop()
            self._flush()

    # -- the personal API ------------------------------------------------------------------

    @Slot(bool)
    def _toggle_api(self, on: bool) -> None:
        if on and self.api is None:
            try:
                self.api = ApiRunner(self.lampdesk, self._profile, self.api_port)
            except LampdeskError as exc:
                self.api_status.setText(str(exc))
                self.api_toggle.setChecked(False)
                return
            self.api_status.setText(f"token: {self.api.token}")
        elif not on and self.api is not None:
            self.api.stop()
            self.api = None
            self.api_status.setText("")

    @Slot()
    def open_sources(self) -> None:
        if self.sources is None:
            self.sources = SourcesDialog(self.worker.session, self)
        self.sources.show()

    # -- closing -----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop any answer, end the worker thread and close the profile (safe to call twice)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.tray.hide()
        if self.resident is not None:
            self.resident.stop()
            self.resident = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.sources is not None:
            self.sources.shutdown()
        if self.model_catalog is not None:
            self.model_catalog.shutdown()
        if self.hotkey is not None:
            self.hotkey.stop()
        self.worker.cancel()
        self.thread_.quit()
        self.thread_.wait()
        self.worker.close()

    @Slot()
    def quit_app(self) -> None:
        """Quit for good (the tray's "Quit"), also when the window is hidden in the tray."""
        self.shutdown()
        self.close()
        QApplication.quit()

    def _window_settings(self) -> dict[str, Any]:
        try:
            data = json.loads(self._paths.window_settings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @Slot(bool)
    def _save_close_to_tray(self, on: bool) -> None:
        self._paths.ensure_root()
        settings = {**self._window_settings(), "close_to_tray": on}
        atomic_write(self._paths.window_settings_file, json.dumps(settings))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_to_tray.isChecked() and self.tray.available and not self._shut_down:
            QApplication.setQuitOnLastWindowClosed(False)
            event.ignore()
            self.hide()  # "Quit" in the tray's menu ends it
            return
        self.shutdown()
        super().closeEvent(event)


def _passphrase_for(paths: DataPaths, profile: str, parent: QWidget | None) -> str | None:
    """Ask on the GUI thread, before any work starts, when the profile needs a passphrase."""
    if os.environ.get(ENV_PASSPHRASE) is not None:
        return os.environ[ENV_PASSPHRASE]
    entry = ProfileRegistry(paths).find(profile)
    mode = entry.key_mode if entry else choose_mode_for_new_profile()
    if mode is KeyMode.KEYRING:
        return None
    label = (
        f"Passphrase for profile '{profile}':"
        if entry
        else "No OS keyring is available. Choose a passphrase to encrypt your profile\n"
        "(it cannot be recovered if you forget it):"
    )
    text, ok = QInputDialog.getText(parent, "Unlock LampDesk", label, QLineEdit.EchoMode.Password)
    return text if ok and text else None


def run_gui(
    data_dir: str | None,
    profile: str,
    *,
    minimized: bool = False,
    commands: Commands | None = None,
) -> int:
    os.umask(0o077)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("LampDesk")
    paths = DataPaths.resolve(data_dir)
    first_run: FirstRun | None = None
    if not ProfileRegistry(paths).entries() and os.environ.get(ENV_PASSPHRASE) is None:
        wizard = FirstRunWizard(keyring_usable(), paths=paths)
        if wizard.exec() != QDialog.DialogCode.Accepted:
            return 0
        first_run = wizard.result_data()
        passphrase = first_run.passphrase
    else:
        passphrase = _passphrase_for(paths, profile, None)
    window = MainWindow(paths, profile, passphrase, first_run, commands)
    if minimized and window.tray.available:
        app.setQuitOnLastWindowClosed(False)  # it lives in the tray until "Quit"
    else:
        window.show()
    return int(app.exec())
