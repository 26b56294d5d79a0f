"""The personal API (uvicorn in a background thread) while the window is open, and its switch.

The API stack (FastAPI, pydantic, uvicorn) is imported only when the user switches the API on.
Starting and stopping are watched by a timer on the GUI thread, never waited for there: the
switch is greyed out until the server listens, fails or has stopped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lampdesk.app import LampDesk
from lampdesk.errors import LampdeskError
from lampdesk.ui.qt import QCheckBox, QLabel, QObject, Qt, QTimer, QWidget, Signal, Slot

if TYPE_CHECKING:
    from lampdesk.api.server import ApiService

API_PORT = 8765
HOST = "127.0.0.1"
#: How long the server may take to listen, or to stop, before it counts as failed.
WAIT_SECONDS = 10
POLL_MS = 20


class ApiRunner:
    """One uvicorn server on its own thread; :meth:`state` says how far it has got."""

    def __init__(self, app: LampDesk, profile: str, port: int = API_PORT) -> None:
        import uvicorn

        from lampdesk.api.server import ApiService, Guard, create_app
        from lampdesk.api.token import api_token

        self.port = port
        self.token = api_token(app.paths)
        self.service: ApiService = ApiService(app, profile, self.token)
        config = uvicorn.Config(
            Guard(create_app(self.service), self.service),
            host=HOST,
            port=port,
            log_level="error",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name="lampdesk-api", daemon=True)
        self.deadline = time.monotonic() + WAIT_SECONDS
        self.thread.start()

    def _serve(self) -> None:
        # uvicorn exits (SystemExit) when it cannot listen: state() then says "failed".
        with contextlib.suppress(SystemExit):
            self.server.run()

    def state(self) -> str:
        """``"listening"``, ``"starting"``, or ``"failed"`` (ended, or not listening in time)."""
        if self.server.started:
            return "listening"
        if self.thread.is_alive() and time.monotonic() < self.deadline:
            return "starting"
        return "failed"

    def request_stop(self) -> None:
        """Ask the server to end; it has when :meth:`ended` (then :meth:`close` it)."""
        self.server.should_exit = True
        self.deadline = time.monotonic() + WAIT_SECONDS

    def ended(self) -> bool:
        return not self.thread.is_alive() or time.monotonic() >= self.deadline

    def close(self) -> None:
        self.service.close()

    def stop(self) -> None:
        """End it now, waiting for the thread (only as the program closes)."""
        self.request_stop()
        self.thread.join(WAIT_SECONDS)
        self.close()


class ApiControl(QObject):
    """The "Personal API" check box and the token shown beside it."""

    #: "listening", "stopped" or a message: emitted on the GUI thread once it is painted.
    api_shown = Signal(str)

    def __init__(self, parent: QWidget, app: LampDesk, profile: Callable[[], str]) -> None:
        super().__init__(parent)
        self._app = app
        self._profile = profile
        self.port = API_PORT
        self.runner: ApiRunner | None = None
        self._stopping: ApiRunner | None = None
        self._failure = ""
        self.toggle = QCheckBox(f"Personal API for other programs (127.0.0.1:{API_PORT})")
        self.toggle.setToolTip("Off by default. Only programs on this computer, with the token.")
        self.toggle.toggled.connect(self._toggle)
        self.status = QLabel("")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def busy(self) -> bool:
        """The server is starting or stopping (the switch waits for it)."""
        return self._timer.isActive()

    @Slot(bool)
    def _toggle(self, on: bool) -> None:
        if on and self.runner is None:
            try:
                self.runner = ApiRunner(self._app, self._profile(), self.port)
            except LampdeskError as exc:
                self.status.setText(str(exc))
                self.toggle.setChecked(False)
                return
            self.status.setText("starting…")
        elif not on and self.runner is not None:
            self._stopping, self.runner = self.runner, None
            self._stopping.request_stop()
            self.status.setText("stopping…")
        else:
            return
        self.toggle.setEnabled(False)
        self._timer.start()

    @Slot()
    def _poll(self) -> None:
        if self._stopping is not None:
            if self._stopping.ended():
                self._stopping.close()
                self._stopping = None
                failure, self._failure = self._failure, ""
                self._settle(failure, failure or "stopped")
            return
        if self.runner is None:
            return
        state = self.runner.state()
        if state == "listening":
            self._settle(f"token: {self.runner.token}", "listening")
        elif state == "failed":
            self._failure = (
                f"The API could not listen on {HOST}:{self.runner.port} (is it in use?)."
            )
            self._stopping, self.runner = self.runner, None
            self._stopping.request_stop()
            self.toggle.blockSignals(True)  # off again, with nothing more to stop
            self.toggle.setChecked(False)
            self.toggle.blockSignals(False)

    def _settle(self, text: str, what: str) -> None:
        """Started, stopped or failed: the switch usable again, *what* happened emitted."""
        self._timer.stop()
        self.toggle.setEnabled(True)
        self.status.setText(text)
        self.api_shown.emit(what)

    def shutdown(self) -> None:
        """Stop the server for good, waiting for it (the window is closing)."""
        self._timer.stop()
        for runner in (self.runner, self._stopping):
            if runner is not None:
                runner.stop()
        self.runner = self._stopping = None
