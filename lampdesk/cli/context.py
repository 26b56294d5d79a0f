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
        held: set[str] | None = None,
    ) -> None:
        self.paths = app.paths if app is not None else DataPaths.resolve(data_dir)
        self.profile_name = profile
        self.resident = app is not None
        self._app: LampDesk | None = app
        #: The profiles this command (or, resident, the channel) holds open in the app's owner.
        self._held: set[str] = held if held is not None else set()

    @property
    def app(self) -> LampDesk:
        if self._app is None:
            from lampdesk.app import LampDesk

            self._app = LampDesk(self.paths, prompt=terminal_prompt)
        return self._app

    def session(self, *, create: bool = True) -> Session:
        """The profile named on the command line, opened (and with *create*, made) once; a
        resident keeps it open between commands, shared with its other front ends."""
        if self.profile_name not in self._held:
            self.app.acquire(self.profile_name, create=create)
            self._held.add(self.profile_name)
        return self.app.sessions.get(self.profile_name)

    def close(self) -> None:
        if self.resident:
            return  # the services belong to the resident process
        if self._app is not None:
            self._app.close()  # and with it the session held here
            self._app = None
