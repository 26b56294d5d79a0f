"""Workers that run LampDesk's core off the GUI thread and talk back only through signals."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from lampdesk.app import RETRIEVAL_BUDGET_SETTING, LampDesk, Session
from lampdesk.conversations import TemporaryChat
from lampdesk.errors import DamagedProfileError, KeyUnavailableError, LampdeskError, WrongKeyError
from lampdesk.inference.models import MAX_CONTEXT, EngineOptions
from lampdesk.memory.browse import snapshot
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.profile_edit import apply_changes, profile_state
from lampdesk.ui import thread_work
from lampdesk.ui.first_run import FirstRun
from lampdesk.vault import backup, portable, recovery
from lampdesk.vault.profiles import DEFAULT_PROFILE, ProfileEntry


def backups_state(paths: DataPaths, entry: ProfileEntry) -> list[dict[str, Any]]:
    return [b.as_json() for b in backup.list_backups(paths.backups_dir(entry.id))]


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
        self._session: Session | None = None
        self._cancel = threading.Event()
        self._temporary = TemporaryChat()

    def _open(self) -> Session:
        if self._app is None:
            raise LampdeskError("LampDesk is closing.")
        if self._session is None:
            first_run, self._first_run = self._first_run, None
            if first_run is not None and not self._app.vault.exists(self._profile):
                attributes = first_run.attributes
                self._app.vault.create_staged(
                    self._profile,
                    lambda store: Profile(store).set_attributes(attributes),
                    first_run.mode,
                )
            self._session = self._app.open(self._profile, create=True)
            self.opened.emit(self._session.entry.name)
        return self._session

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
        self._cancel.clear()
        self.busy.emit(True)
        try:
            self._guard(lambda: self._ask(question, personalize))
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
        self._cancel.clear()
        self.busy.emit(True)
        try:
            self._guard(lambda: self._ask_in_thread(question, personalize, thread_id, how))
        finally:
            self.busy.emit(False)

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

    @Slot(str, int, str)
    def change_thread(self, action: str, thread_id: int, argument: str) -> None:
        """Rename, delete or export (to the file *argument*) a conversation; a new temporary
        chat ("temporary", 0, "on"/"off") forgets the last one."""

        def change() -> None:
            if action == "temporary":
                self._temporary.turns.clear()
                return
            session = self._open()
            message = thread_work.change(session, action, thread_id, argument)
            self.threads_loaded.emit(
                {**thread_work.threads_state(session, None), "message": message}
            )

        self._guard(change)

    @Slot(dict)
    def generation(self, changes: dict[str, str]) -> None:
        """The answer settings; with *changes*, validated and stored first (next question)."""

        def apply() -> None:
            session = self._open()
            message = ""
            gen = {key: value for key, value in changes.items() if key != "persona"}
            if changes:
                try:
                    session.assistant.generation_settings(**gen)
                    if "persona" in changes:
                        session.set_persona(changes["persona"])
                except LampdeskError as exc:
                    self.generation_loaded.emit({"message": str(exc)})
                    return
                for key, value in gen.items():
                    session.profile.set_setting(f"gen.{key}", value)
                message = "Saved: the next answer uses these settings."
            current = session.assistant.generation_settings()
            self.generation_loaded.emit(
                {
                    "temperature": current.temperature,
                    "max_tokens": current.max_tokens,
                    "persona": session.persona(),
                    "message": message,
                }
            )

        self._guard(apply)

    @Slot(int, str)
    def feedback(self, interaction_id: int, kind: str) -> None:
        def save() -> None:
            self._open().profile.record_feedback(interaction_id, kind)
            self.feedback_saved.emit(interaction_id, kind)

        self._guard(save)

    @Slot(str, str)
    def memories(self, search: str, sort: str) -> None:
        """Send the memory browser a fresh snapshot."""
        self._guard(lambda: self.memories_loaded.emit(snapshot(self._open().profile, search, sort)))

    @Slot(str, int, str)
    def change_memory(self, action: str, target: int, text: str) -> None:
        """Carry out a change asked for in the memory browser, then send a fresh snapshot."""

        def change() -> None:
            session = self._open()
            profile = session.profile
            found: object
            if action == "edit":
                found = profile.edit_memory(target, text)
            elif action in ("pin", "unpin"):
                found = profile.set_pinned(target, action == "pin")
            elif action == "forget":
                found = profile.forget(target)
            elif action == "accept":
                found = profile.accept(target) or True
            elif action == "reject":
                found = profile.reject(target)
            else:
                raise ValueError(f"unknown memory action {action!r}")
            if not found:
                raise LampdeskError(f"That memory is gone already ({action} {target}).")
            session.assistant.index()  # edits and forgets reach both indexes now
            self.memories_loaded.emit(snapshot(profile))

        self._guard(change)

    @Slot()
    def history(self, switched: bool = False) -> None:
        """Send the window the open profile's past exchanges and the profiles to switch to."""

        def send() -> None:
            session = self._open()
            assert self._app is not None
            self.history_loaded.emit(
                {
                    "profile": session.entry.name,
                    "profiles": self._app.vault.names(),
                    "exchanges": session.profile.interactions(limit=200),
                    "threads": thread_work.threads_state(session, None),
                    "switched": switched,
                }
            )

        self._guard(send)

    @Slot(str)
    def switch_profile(self, name: str) -> None:
        """Close the open profile and open *name* (which must exist)."""
        if self._session is not None and self._session.entry.name == name:
            return
        if self._session is not None:
            self._session.close()
            self._session = None
        self._profile = name
        if self._guard(lambda: self._open_existing()):
            self.history(switched=True)

    def _open_existing(self) -> Session:
        if self._app is None:
            raise LampdeskError("LampDesk is closing.")
        self._session = self._app.open(self._profile, create=False)
        self.opened.emit(self._session.entry.name)
        return self._session

    @Slot()
    def settings_state(self) -> None:
        self._guard(lambda: self.settings_loaded.emit(self._settings_state()))

    def _settings_state(self) -> dict[str, Any]:
        session = self._open()
        assert self._app is not None
        registry = self._app.models
        return {
            "profile": session.entry.name,
            "models": [m.as_json() for m in registry.models()],
            "active": registry.active().name,
            "budget": session.assistant.retrieval_budget or 0,
            "engine": registry.options().as_json(),
            "max_context": registry.active().context_length or MAX_CONTEXT,
            "backups": backups_state(self._app.paths, session.entry),
        }

    @Slot(str, str, str)
    def change_settings(self, action: str, argument: str, passphrase: str) -> None:
        """A settings action; answers with the new state and a message (or the error)."""

        def change() -> None:
            session = self._open()
            try:
                message = self._settings_action(session, action, argument, passphrase)
            except LampdeskError as exc:  # a known problem: said in the dialog, nothing changed
                self.settings_loaded.emit({"message": str(exc)})
                return
            except OSError as exc:
                self.settings_loaded.emit({"message": f"{argument}: {exc.strerror or exc}"})
                return
            self.settings_loaded.emit({**self._settings_state(), "message": message})

        if not self._guard(change):
            self.settings_loaded.emit({"message": "Nothing was changed (see the main window)."})

    def _settings_action(self, session: Session, action: str, arg: str, passphrase: str) -> str:
        assert self._app is not None
        if action == "add_model":
            info = self._app.models.add(Path(arg))
            return f"Added {info.name} ({info.architecture}, context {info.context_length})."
        if action == "use_model":
            info = self._app.use_model(arg)
            return f"{info.name} is loaded: it answers the next question."
        if action == "remove_model":
            self._app.models.remove(arg)
            return f"Removed {arg} from the list (the file itself is untouched)."
        if action == "engine":
            threads, context = (int(n) for n in arg.split(","))
            options = EngineOptions(threads or None, context)
            self._app.set_engine_options(options)
            plural = "" if threads == 1 else "s"
            auto = "one thread per core" if options.threads is None else f"{threads} thread{plural}"
            return f"Reloaded: {auto}, a context of {context} tokens, from the next question."
        if action == "budget":
            budget = int(arg)
            session.profile.set_setting(RETRIEVAL_BUDGET_SETTING, str(budget))
            session.assistant.retrieval_budget = budget
            return f"Up to {budget} tokens of remembered items go into each prompt."
        if action == "export":
            data = portable.export_bytes(session.store, session.entry.name, passphrase)
            portable.write_export_file(Path(arg), data)
            return f"Exported {session.entry.name!r} to {arg} (encrypted)."
        if action == "import":
            data = Path(arg).read_bytes()
            portable.read_header(data)
            result = portable.import_profile(self._app.vault, data, passphrase)
            return f"Imported profile {result.name!r}: switch to it in the profile list."
        if action in ("backup", "restore"):
            return self._backup_action(session, action, arg)
        if action == "delete":
            session.close()
            self._session = None
            self._app.vault.delete(arg)
            remaining = self._app.vault.names()
            self._profile = remaining[0] if remaining else DEFAULT_PROFILE
            self._open()
            self.history(switched=True)
            return f"Deleted profile {arg!r}."
        raise ValueError(f"unknown settings action {action!r}")

    def _backup_action(self, session: Session, action: str, name: str) -> str:
        assert self._app is not None
        if action == "backup":
            info = backup.take(session.store, self._app.paths.backups_dir(session.entry.id))
            return f"Backed up: {info.memories} memories, {info.exchanges} exchanges."
        entry = session.entry
        session.close()
        self._session = None
        try:
            info = recovery.restore_with_undo(self._app.vault, entry, name or None)
        finally:
            self._open()
            self.history()
        return f"Restored the backup: {info.memories} memories, {info.exchanges} exchanges."

    @Slot()
    def restore_latest(self) -> None:
        """Restore the newest good backup of a profile found damaged (nothing is open)."""

        def restore() -> None:
            assert self._app is not None
            if self._session is not None:
                self._session.close()
                self._session = None
            entry = self._app.vault.registry.get(self._profile)
            info = recovery.restore_with_undo(self._app.vault, entry, None)
            self._open()
            self.history()
            when = info.created_at.strftime("%Y-%m-%d %H:%M")
            self.failed.emit(
                f"Restored profile {entry.name!r} from its backup of {when} UTC: "
                f"{info.memories} memories, {info.exchanges} exchanges."
            )

        self._guard(restore)

    @Slot()
    def profile_state(self) -> None:
        self._guard(lambda: self.profile_loaded.emit(profile_state(self._open().profile)))

    @Slot(dict)
    def edit_profile(self, changes: dict[str, Any]) -> None:
        """Apply the profile editor's changes; the template takes effect for the next answer."""

        def save() -> None:
            session = self._open()
            state = apply_changes(session.profile, changes)
            if state.get("saved") and changes.get("template") is not None:
                session.assistant.builder.template = session.template()
            self.profile_loaded.emit(state)

        self._guard(save)

    @Slot(int, str)
    def edit_answer(self, interaction_id: int, text: str) -> None:
        """The user's own version of an answer: stored as feedback on it."""

        def save() -> None:
            self._open().profile.record_feedback(interaction_id, "edit", text)
            self.feedback_saved.emit(interaction_id, "edit")

        self._guard(save)

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
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._app is not None:
            self._app.close()
            self._app = None
