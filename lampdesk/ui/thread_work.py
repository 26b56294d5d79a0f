"""What the assistant worker does for conversations, on its thread (no widgets here).

The window asks through the worker's slots; these functions answer with plain dicts that
cross back to the GUI thread in signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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


def change(session: Session, action: str, thread_id: int, argument: str) -> str:
    conversations = Chat(session.assistant).conversations
    if action == "rename":
        return f"Renamed to “{conversations.rename(thread_id, argument).title}”."
    if action == "delete":
        turns = conversations.delete(thread_id)
        return f"Deleted the conversation and its {turns} exchange(s)."
    if action == "export":
        path = Path(argument)
        fmt = "json" if path.suffix.lower() == ".json" else "markdown"
        try:
            atomic_write(path.absolute(), conversations.export(thread_id, fmt))
        except OSError as exc:
            raise LampdeskError(f"{path}: {exc.strerror or exc}") from None
        return f"Exported the conversation to {path}."
    raise ValueError(f"unknown conversation action {action!r}")
