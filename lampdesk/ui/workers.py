"""Workers that run LampDesk's core off the GUI thread and talk back only through signals."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from lampdesk.app import LampDesk, Session
from lampdesk.conversations import TemporaryChat
from lampdesk.errors import DamagedProfileError, KeyUnavailableError, LampdeskError, WrongKeyError
from lampdesk.memory.browse import snapshot
from lampdesk.profile_edit import profile_state
from lampdesk.ui import memory_work, settings_work, thread_work
from lampdesk.ui.first_run import FirstRun
from lampdesk.ui.qt import QObject, Signal, Slot
from lampdesk.vault.backup import BackupInfo
from lampdesk.vault.profiles import DEFAULT_PROFILE


class AssistantWorker(QObject):
    """Owns the open profile and the models; lives on its own ``QThread``."""

    opened = Signal(str)  # profile name
    ready = Signal()  # models loaded: answers start quickly now
    chunk = Signal(str)
    answered = Signal(dict)  # AskResult.as_json()
    failed = Signal(str)  # a message for the user
    locked = Signal(str)  # the profile could not be unlocked: ask for the passphrase again
    busy = Signal(bool)
    feedback_saved = Signal(int, str)
    memories_loaded = Signal(dict)  # lampdesk.memory.browse.snapshot()
    profile_loaded = Signal(dict)  # lampdesk.profile_edit.profile_state()
    history_loaded = Signal(dict)  # {"profile", "profiles", "exchanges"}
    settings_loaded = Signal(dict)  # models, budget, and a message after an action
    damaged = Signal(str)  # the profile's database is damaged: offer to restore a backup
    threads_loaded = Signal(dict)  # lampdesk.ui.thread_work.threads_state()
    thread_loaded = Signal(dict)  # {"thread_id", "turns"} (lampdesk.ui.thread_work)
    generation_loaded = Signal(dict)  # {"temperature", "max_tokens", "persona", "message"}

    def __init__(self, app: LampDesk, profile: str, first_run: FirstRun | None = None) -> None:
        super().__init__()
        self._profile = profile
        self._first_run = first_run
        self._app: LampDesk | None = app
        self._held: str | None = None  # the profile held open in the app's session owner
        self._cancel = threading.Event()
        self._temporary = TemporaryChat()

    def _live_app(self) -> LampDesk:
        if self._app is None:
            raise LampdeskError("LampDesk is closing.")
        return self._app

    def _open(self, create: bool = True) -> Session:
        app = self._live_app()
        if self._held is None:
            first_run, self._first_run = (self._first_run, None) if create else (None, None)
            if first_run is not None and not app.vault.exists(self._profile):
                app.create_profile(self._profile, first_run.attributes, first_run.mode)
            session = app.acquire(self._profile, create=create)
            self._held = self._profile
            self.opened.emit(session.entry.name)
            return session
        return app.sessions.get(self._held)

    def _settings_state(self) -> dict[str, Any]:
        return settings_work.settings_state(self._live_app(), self._open())

    def _let_go(self) -> None:
        """Give up this worker's hold on its profile (the last holder closes it)."""
        if self._held is not None and self._app is not None:
            self._app.release(self._held)
        self._held = None

    def _restore(self, backup_name: str | None) -> BackupInfo:
        """Restore a backup of the profile (the newest by default); the caller opens it again."""
        self._let_go()
        return self._live_app().restore_profile(self._profile, backup_name)

    def session(self) -> Session:
        """The open profile, for another worker (the sources dialog's) to share."""
        return self._open()

    @Slot()
    def open_profile(self) -> None:
        """Open the profile, then load what the first answer needs, before it is asked."""
        if self._guard(self._open):
            self._guard(self._warm_up)

    def _warm_up(self) -> None:
        self._open().assistant.warm_up()
        self.ready.emit()

    @Slot(str, bool)
    def ask(self, question: str, personalize: bool) -> None:
        self._answering(lambda: self._ask(question, personalize))

    def _answering(self, work: Callable[[], object]) -> None:
        """Run *work* (an answer) with the window told it is busy; a new answer can be cancelled."""
        self._cancel.clear()
        self.busy.emit(True)
        try:
            self._guard(work)
        finally:
            self.busy.emit(False)

    def _ask(self, question: str, personalize: bool) -> None:
        session = self._open()
        result = session.assistant.ask(
            question, personalize=personalize, on_chunk=self.chunk.emit, cancel=self._cancel
        )
        self.answered.emit(result.as_json())

    @Slot(str, bool, int, str)
    def ask_in_thread(self, question: str, personalize: bool, thread_id: int, how: str) -> None:
        """Ask in a conversation (0: a new one, -1: the temporary chat); *how* is "ask",
        "regenerate", "continue" or "edit" (see lampdesk/ui/thread_work.py)."""
        self._answering(lambda: self._ask_in_thread(question, personalize, thread_id, how))

    def _ask_in_thread(self, question: str, personalize: bool, thread_id: int, how: str) -> None:
        session = self._open()
        answer = thread_work.ask(
            session, self._temporary, question, personalize, thread_id, how,
            self.chunk.emit, self._cancel,
        )  # fmt: skip
        self.answered.emit(answer)
        self.threads_loaded.emit(thread_work.threads_state(session, answer["thread_id"]))

    @Slot(str)
    def threads(self, search: str) -> None:
        self._guard(
            lambda: self.threads_loaded.emit(thread_work.threads_state(self._open(), None, search))
        )

    @Slot(int)
    def open_thread(self, thread_id: int) -> None:
        self._guard(
            lambda: self.thread_loaded.emit(thread_work.thread_state(self._open(), thread_id))
        )

    @Slot(thread_work.ThreadChange)
    def change_thread(self, request: thread_work.ThreadChange) -> None:
        """Rename, delete or export a conversation; a new temporary chat forgets the last one."""

        def change() -> None:
            if isinstance(request, thread_work.ForgetTemporaryChat):
                self._temporary.turns.clear()
                return
            session = self._open()
            message = request.run(session)
            self.threads_loaded.emit(
                {**thread_work.threads_state(session, None), "message": message}
            )

        self._guard(change)

    @Slot(dict)
    def generation(self, changes: dict[str, str]) -> None:
        """The answer settings; with *changes*, validated and stored first (next question)."""

        def apply() -> None:
            session = self._open()
            try:
                state = session.set_answer_settings(changes)  # none: just the current ones
            except LampdeskError as exc:
                self.generation_loaded.emit({"message": str(exc)})
                return
            message = "Saved: the next answer uses these settings." if changes else ""
            self.generation_loaded.emit({**state, "message": message})

        self._guard(apply)

    @Slot(int, str)
    def feedback(self, interaction_id: int, kind: str) -> None:
        self._record_feedback(interaction_id, kind)

    @Slot(int, str)
    def edit_answer(self, interaction_id: int, text: str) -> None:
        """The user's own version of an answer: stored as feedback on it."""
        self._record_feedback(interaction_id, "edit", text)

    def _record_feedback(self, interaction_id: int, kind: str, text: str | None = None) -> None:
        def save() -> None:
            self._open().profile.record_feedback(interaction_id, kind, text)
            self.feedback_saved.emit(interaction_id, kind)

        self._guard(save)

    @Slot(str, str)
    def memories(self, search: str, sort: str) -> None:
        """Send the memory browser a fresh snapshot."""
        self._guard(lambda: self.memories_loaded.emit(snapshot(self._open().profile, search, sort)))

    @Slot(memory_work.MemoryChange)
    def change_memory(self, request: memory_work.MemoryChange) -> None:
        """Carry out a change asked for in the memory browser, then send a fresh snapshot."""

        def change() -> None:
            session = self._open()
            request.run(session)
            self.memories_loaded.emit(snapshot(session.profile))

        self._guard(change)

    @Slot()
    def history(self, switched: bool = False) -> None:
        """Send the window the open profile's past exchanges and the profiles to switch to."""

        def send() -> None:
            profiles = self._live_app().vault.names()
            self.history_loaded.emit(thread_work.history_state(self._open(), profiles, switched))

        self._guard(send)

    @Slot(str)
    def switch_profile(self, name: str) -> None:
        """Close the open profile and open *name* (which must exist)."""
        if self._held == name:
            return
        self._let_go()
        self._profile = name
        if self._guard(lambda: self._open(create=False)):
            self.history(switched=True)

    @Slot()
    def settings_state(self) -> None:
        self._guard(lambda: self.settings_loaded.emit(self._settings_state()))

    @Slot(settings_work.SettingsRequest)
    def change_settings(self, request: settings_work.SettingsRequest) -> None:
        """A settings action; answers with the new state and a message (or the error)."""

        def change() -> None:
            session = self._open()
            try:
                message = self._settings_action(session, request)
            except LampdeskError as exc:  # a known problem: said in the dialog, nothing changed
                self.settings_loaded.emit({"message": str(exc)})
                return
            except OSError as exc:
                self.settings_loaded.emit({"message": f"{request.subject}: {exc.strerror or exc}"})
                return
            self.settings_loaded.emit({**self._settings_state(), "message": message})

        if not self._guard(change):
            self.settings_loaded.emit({"message": "Nothing was changed (see the main window)."})

    def _settings_action(self, session: Session, request: settings_work.SettingsRequest) -> str:
        app = self._live_app()
        if isinstance(request, settings_work.RestoreBackup):
            try:
                info = self._restore(request.name or None)
            finally:
                self._open()
                self.history()
            return f"Restored the backup: {info.memories} memories, {info.exchanges} exchanges."
        if isinstance(request, settings_work.DeleteProfile):
            self._let_go()
            app.delete_profile(request.name)
            remaining = app.vault.names()
            self._profile = remaining[0] if remaining else DEFAULT_PROFILE
            self._open()
            self.history(switched=True)
            return f"Deleted profile {request.name!r}."
        return request.run(app, session)

    @Slot()
    def restore_latest(self) -> None:
        """Restore the newest good backup of a profile found damaged (nothing is open)."""

        def restore() -> None:
            info = self._restore(None)
            self._open()
            self.history()
            when = info.created_at.strftime("%Y-%m-%d %H:%M")
            self.failed.emit(
                f"Restored profile {self._profile!r} from its backup of {when} UTC: "
                f"{info.memories} memories, {info.exchanges} exchanges."
            )

        self._guard(restore)

    @Slot()
    def profile_state(self) -> None:
        self._guard(lambda: self.profile_loaded.emit(profile_state(self._open().profile)))

    @Slot(dict)
    def edit_profile(self, changes: dict[str, Any]) -> None:
        """Apply the profile editor's changes; the template takes effect for the next answer."""
        self._guard(lambda: self.profile_loaded.emit(self._open().edit_profile(changes)))

    def cancel(self) -> None:
        """Called from the GUI thread: a plain ``threading.Event``, no queued call needed."""
        self._cancel.set()

    def _guard(self, work: Callable[[], object]) -> bool:
        try:
            work()
            return True
        except (WrongKeyError, KeyUnavailableError) as exc:
            self.locked.emit(str(exc))
        except DamagedProfileError as exc:
            self.damaged.emit(str(exc))
        except LampdeskError as exc:
            self.failed.emit(str(exc))
        except Exception:
            self.failed.emit("Internal error (a bug):\n" + traceback.format_exc(limit=5))
        return False

    @Slot()
    def close(self) -> None:
        """Close LampDesk: the app closes every session still held (this worker's too)."""
        app, self._app, self._held = self._app, None, None
        if app is not None:
            app.close()
