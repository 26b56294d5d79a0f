"""Workers that run LampDesk's core off the GUI thread and talk back only through signals."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from lampdesk.app import LampDesk, Session
from lampdesk.errors import KeyUnavailableError, LampdeskError, WrongKeyError
from lampdesk.memory.browse import snapshot
from lampdesk.profile import Profile
from lampdesk.profile_edit import apply_changes, profile_state
from lampdesk.ui.first_run import FirstRun


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

    def __init__(self, app: LampDesk, profile: str, first_run: FirstRun | None = None) -> None:
        super().__init__()
        self._profile = profile
        self._first_run = first_run
        self._app: LampDesk | None = app
        self._session: Session | None = None
        self._cancel = threading.Event()

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
    def history(self) -> None:
        """Send the window the open profile's past exchanges and the profiles to switch to."""

        def send() -> None:
            session = self._open()
            assert self._app is not None
            self.history_loaded.emit(
                {
                    "profile": session.entry.name,
                    "profiles": self._app.vault.names(),
                    "exchanges": session.profile.interactions(limit=200),
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
            self.history()

    def _open_existing(self) -> Session:
        if self._app is None:
            raise LampdeskError("LampDesk is closing.")
        self._session = self._app.open(self._profile, create=False)
        self.opened.emit(self._session.entry.name)
        return self._session

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
