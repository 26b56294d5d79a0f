"""What the assistant worker does for conversations, on its thread (no widgets here).

The window asks through the worker's slots; these functions answer with plain dicts that
cross back to the GUI thread in signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lampdesk.app import Session
from lampdesk.conversations import Chat, TemporaryChat
from lampdesk.errors import LampdeskError
from lampdesk.paths import atomic_write

#: ``thread_id`` values the window sends: a new conversation, or the temporary chat.
NEW_THREAD, TEMPORARY_THREAD = 0, -1
#: Interactions that belong to no conversation (asked through the API, or before threads).
OTHER_EXCHANGES = 200


def ask(
    session: Session,
    temporary: TemporaryChat,
    question: str,
    personalize: bool,
    thread_id: int,
    how: str,
    on_chunk: Callable[[str], None],
    cancel: threading.Event,
) -> dict[str, Any]:
    chat = Chat(session.assistant)
    options: dict[str, Any] = {"personalize": personalize, "on_chunk": on_chunk, "cancel": cancel}
    if thread_id == TEMPORARY_THREAD:
        answer = chat.ask(question, temporary=temporary, **options)
    elif how == "regenerate" and thread_id > 0:
        answer = chat.regenerate(thread_id, **options)
    elif how == "edit" and thread_id > 0:
        answer = chat.edit_and_resend(thread_id, question, **options)
    elif how == "continue" and thread_id > 0:
        answer = chat.continue_answer(thread_id, **options)
    else:
        answer = chat.ask(question, thread_id=thread_id if thread_id > 0 else None, **options)
    data = answer.as_json()
    data["thread_id"] = TEMPORARY_THREAD if answer.thread_id is None else answer.thread_id
    return data


def threads_state(session: Session, current: int | None, search: str = "") -> dict[str, Any]:
    """The sidebar's list (newest first); with *search*, only conversations holding it."""
    conversations = Chat(session.assistant).conversations
    threads = [t.as_json() for t in conversations.threads()]
    if search.strip():
        found = {hit.thread_id for hit in conversations.search(search)}
        threads = [t for t in threads if t["id"] in found]
    in_threads = {int(r[0]) for r in session.store.query("SELECT interaction_id FROM thread_turns")}
    others = [
        e
        for e in session.profile.interactions(limit=OTHER_EXCHANGES)
        if int(e["id"]) not in in_threads
    ]
    return {"threads": threads, "others": others, "current": current, "search": search}


def history_state(session: Session, profiles: list[str], switched: bool) -> dict[str, Any]:
    """The open profile's past exchanges and conversations, and the profiles to switch to."""
    return {
        "profile": session.entry.name,
        "profiles": profiles,
        "exchanges": session.profile.interactions(limit=200),
        "threads": threads_state(session, None),
        "switched": switched,
    }


def thread_state(session: Session, thread_id: int) -> dict[str, Any]:
    """A conversation's turns, each with the reaction last given to its answer."""
    conversations = Chat(session.assistant).conversations
    turns = []
    for turn in conversations.turns(thread_id):
        reactions = [
            k for k, _ in session.profile.feedback(turn.interaction_id) if k in ("up", "down")
        ]
        turns.append({**turn.as_json(), "reaction": reactions[-1] if reactions else ""})
    return {"thread_id": thread_id, "title": conversations.thread(thread_id).title, "turns": turns}


@dataclass(frozen=True)
class ThreadChange:
    """A change to conversation *thread_id*, sent to the worker as it is (a queued signal)."""

    thread_id: int

    def run(self, session: Session) -> str:
        """Do it on the worker's thread; the message the window shows."""
        raise NotImplementedError  # forgetting the temporary chat is the worker's own


@dataclass(frozen=True)
class RenameThread(ThreadChange):
    title: str

    def run(self, session: Session) -> str:
        renamed = Chat(session.assistant).conversations.rename(self.thread_id, self.title)
        return f"Renamed to “{renamed.title}”."


@dataclass(frozen=True)
class DeleteThread(ThreadChange):
    def run(self, session: Session) -> str:
        turns = Chat(session.assistant).conversations.delete(self.thread_id)
        return f"Deleted the conversation and its {turns} exchange(s)."


@dataclass(frozen=True)
class ExportThread(ThreadChange):
    path: str

    def run(self, session: Session) -> str:
        path = Path(self.path)
        fmt = "json" if path.suffix.lower() == ".json" else "markdown"
        data = Chat(session.assistant).conversations.export(self.thread_id, fmt)
        try:
            atomic_write(path.absolute(), data)
        except OSError as exc:
            raise LampdeskError(f"{path}: {exc.strerror or exc}") from None
        return f"Exported the conversation to {path}."


@dataclass(frozen=True)
class ForgetTemporaryChat(ThreadChange):
    """A new temporary chat: the last one's turns are forgotten (they were never stored)."""

    thread_id: int = TEMPORARY_THREAD
