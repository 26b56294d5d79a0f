"""What the assistant worker does for the settings dialog, on its thread (no widgets here).

Each action of the dialog is one typed call on the core (:class:`lampdesk.app.LampDesk` for the
models, :class:`lampdesk.sessions.Session` for the profile), answered with the message the
dialog shows. Restoring and deleting a profile close it, so the worker does those itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lampdesk.app import LampDesk, Session
from lampdesk.inference.models import EngineOptions
from lampdesk.vault import backup, portable


def settings_state(app: LampDesk, session: Session) -> dict[str, Any]:
    """The models, the engine options, the retrieval budget and the profile's backups."""
    backups = backup.list_backups(app.paths.backups_dir(session.entry.id))
    return {
        "profile": session.entry.name,
        **app.model_state(),
        "budget": session.retrieval_budget,
        "backups": [b.as_json() for b in backups],
    }


class SettingsRequest:
    """One action of the settings dialog, sent to the worker as it is (a queued signal)."""

    def working(self) -> str:
        """What the dialog says while the worker does it."""
        return "Working…"

    @property
    def subject(self) -> str:
        """What an OS error names (the file, when there is one)."""
        return ""

    def run(self, app: LampDesk, session: Session) -> str:
        """Do it on the worker's thread; the message the dialog shows."""
        raise NotImplementedError  # restoring and deleting are done by the worker itself


@dataclass(frozen=True)
class AddModel(SettingsRequest):
    path: str

    @property
    def subject(self) -> str:
        return self.path

    def run(self, app: LampDesk, session: Session) -> str:
        info = app.add_model(Path(self.path))
        return f"Added {info.name} ({info.architecture}, context {info.context_length})."


@dataclass(frozen=True)
class UseModel(SettingsRequest):
    name: str

    def working(self) -> str:
        return f"Loading {self.name}…"

    def run(self, app: LampDesk, session: Session) -> str:
        info = app.use_model(self.name)
        return f"{info.name} is loaded: it answers the next question."


@dataclass(frozen=True)
class RemoveModel(SettingsRequest):
    name: str

    def run(self, app: LampDesk, session: Session) -> str:
        app.remove_model(self.name)
        return f"Removed {self.name} from the list (the file itself is untouched)."


@dataclass(frozen=True)
class ChangeEngine(SettingsRequest):
    threads: int  # 0: one per core
    context: int

    def working(self) -> str:
        return "Loading the model again…"

    def run(self, app: LampDesk, session: Session) -> str:
        options = EngineOptions(self.threads or None, self.context)
        app.set_engine_options(options)
        plural = "" if self.threads == 1 else "s"
        auto = (
            "one thread per core" if options.threads is None else f"{self.threads} thread{plural}"
        )
        return f"Reloaded: {auto}, a context of {self.context} tokens, from the next question."


@dataclass(frozen=True)
class SetBudget(SettingsRequest):
    tokens: int

    def run(self, app: LampDesk, session: Session) -> str:
        budget = session.set_retrieval_budget(self.tokens)
        return f"Up to {budget} tokens of remembered items go into each prompt."


@dataclass(frozen=True)
class _ProfileFile(SettingsRequest):
    """A request on an exported profile file: its path (named in errors) and passphrase."""

    path: str
    passphrase: str = field(repr=False)

    @property
    def subject(self) -> str:
        return self.path


@dataclass(frozen=True)
class ExportProfile(_ProfileFile):
    def run(self, app: LampDesk, session: Session) -> str:
        data = portable.export_bytes(session.store, session.entry.name, self.passphrase)
        portable.write_export_file(Path(self.path), data)
        return f"Exported {session.entry.name!r} to {self.path} (encrypted)."


@dataclass(frozen=True)
class ImportProfile(_ProfileFile):
    def run(self, app: LampDesk, session: Session) -> str:
        data = Path(self.path).read_bytes()
        portable.read_header(data)
        result = portable.import_profile(app.vault, data, self.passphrase)
        return f"Imported profile {result.name!r}: switch to it in the profile list."


@dataclass(frozen=True)
class TakeBackup(SettingsRequest):
    def run(self, app: LampDesk, session: Session) -> str:
        info = backup.take(session.store, app.paths.backups_dir(session.entry.id))
        return f"Backed up: {info.memories} memories, {info.exchanges} exchanges."


@dataclass(frozen=True)
class RestoreBackup(SettingsRequest):
    """Restore backup *name* (the newest good one when empty): the worker closes the profile."""

    name: str


@dataclass(frozen=True)
class DeleteProfile(SettingsRequest):
    """Delete profile *name*: the worker lets it go first."""

    name: str
