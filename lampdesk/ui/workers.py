"""Workers that run LampDesk's core off the GUI thread and talk back only through signals."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from lampdesk.app import LampDesk, Session
from lampdesk.errors import KeyUnavailableError, LampdeskError, WrongKeyError


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

    def __init__(self, app: LampDesk, profile: str) -> None:
        super().__init__()
        self._profile = profile
        self._app: LampDesk | None = app
        self._session: Session | None = None
        self._cancel = threading.Event()

    def _open(self) -> Session:
        if self._app is None:
            raise LampdeskError("LampDesk is closing.")
        if self._session is None:
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

    @Slot(int, str)
    def feedback(self, interaction_id: int, kind: str) -> None:
        def save() -> None:
            self._open().profile.record_feedback(interaction_id, kind)
            self.feedback_saved.emit(interaction_id, kind)

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
