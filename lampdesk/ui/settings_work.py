"""What the assistant worker does for the settings dialog, on its thread (no widgets here).

Each action of the dialog is one typed call on the core (:class:`lampdesk.app.LampDesk` for the
models, :class:`lampdesk.sessions.Session` for the profile), answered with the message the
dialog shows. Restoring and deleting a profile close it, so the worker does those itself.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _add_model(app: LampDesk, session: Session, path: str, passphrase: str) -> str:
    info = app.add_model(Path(path))
    return f"Added {info.name} ({info.architecture}, context {info.context_length})."


def _use_model(app: LampDesk, session: Session, name: str, passphrase: str) -> str:
    info = app.use_model(name)
    return f"{info.name} is loaded: it answers the next question."


def _remove_model(app: LampDesk, session: Session, name: str, passphrase: str) -> str:
    app.remove_model(name)
    return f"Removed {name} from the list (the file itself is untouched)."


def _engine(app: LampDesk, session: Session, threads_context: str, passphrase: str) -> str:
    threads, context = (int(n) for n in threads_context.split(","))
    options = EngineOptions(threads or None, context)
    app.set_engine_options(options)
    plural = "" if threads == 1 else "s"
    auto = "one thread per core" if options.threads is None else f"{threads} thread{plural}"
    return f"Reloaded: {auto}, a context of {context} tokens, from the next question."


def _budget(app: LampDesk, session: Session, tokens: str, passphrase: str) -> str:
    budget = session.set_retrieval_budget(int(tokens))
    return f"Up to {budget} tokens of remembered items go into each prompt."


def _export(app: LampDesk, session: Session, path: str, passphrase: str) -> str:
    data = portable.export_bytes(session.store, session.entry.name, passphrase)
    portable.write_export_file(Path(path), data)
    return f"Exported {session.entry.name!r} to {path} (encrypted)."


def _import(app: LampDesk, session: Session, path: str, passphrase: str) -> str:
    data = Path(path).read_bytes()
    portable.read_header(data)
    result = portable.import_profile(app.vault, data, passphrase)
    return f"Imported profile {result.name!r}: switch to it in the profile list."


def _backup(app: LampDesk, session: Session, _argument: str, passphrase: str) -> str:
    info = backup.take(session.store, app.paths.backups_dir(session.entry.id))
    return f"Backed up: {info.memories} memories, {info.exchanges} exchanges."


#: The dialog's actions that leave the profile open: (app, session, argument, passphrase).
ACTIONS: dict[str, Callable[[LampDesk, Session, str, str], str]] = {
    "add_model": _add_model,
    "use_model": _use_model,
    "remove_model": _remove_model,
    "engine": _engine,
    "budget": _budget,
    "export": _export,
    "import": _import,
    "backup": _backup,
}
