"""What a CLI handler works with: the services, built lazily, and the open profile."""

from __future__ import annotations

import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

from lampdesk.errors import KeyUnavailableError
from lampdesk.paths import DataPaths

if TYPE_CHECKING:
    from lampdesk.app import LampDesk, Session


def terminal_prompt(what: str, confirm: bool) -> str:
    """Ask for a passphrase on the terminal (never echoed)."""
    if not sys.stdin.isatty():
        variable = "LAMPDESK_PASSPHRASE"
        if what.startswith("New passphrase"):
            variable = "LAMPDESK_NEW_PASSPHRASE"
        elif "export file" in what:
            variable = "LAMPDESK_EXPORT_PASSPHRASE"
        raise KeyUnavailableError(
            f"{what} is needed, but there is no terminal to ask in: set {variable}."
        )
    passphrase = getpass.getpass(f"{what}: ")
    if confirm and getpass.getpass("Repeat it: ") != passphrase:
        raise KeyUnavailableError("The two passphrases differ; nothing was created.")
    return passphrase


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


class Context:
    """A command's services: built here for one command, or lent by a resident LampDesk."""

    def __init__(
        self,
        data_dir: str | None,
        profile: str,
        *,
        app: LampDesk | None = None,
        sessions: dict[str, Session] | None = None,
    ) -> None:
        self.paths = app.paths if app is not None else DataPaths.resolve(data_dir)
        self.profile_name = profile
        self.resident = app is not None
        self._app: LampDesk | None = app
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def app(self) -> LampDesk:
        if self._app is None:
            from lampdesk.app import LampDesk

            self._app = LampDesk(self.paths, prompt=terminal_prompt)
        return self._app

    def session(self, *, create: bool = True) -> Session:
        """The profile named on the command line, opened (and with *create*, made) once."""
        if self._sessions is not None:  # resident: keep profiles open between commands
            if self.profile_name not in self._sessions:
                self._sessions[self.profile_name] = self.app.open(self.profile_name, create=create)
            return self._sessions[self.profile_name]
        if self._session is None:
            self._session = self.app.open(self.profile_name, create=create)
        return self._session

    def close(self) -> None:
        if self.resident:
            return  # the services belong to the resident process
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._app is not None:
            self._app.close()
            self._app = None
