"""Forget means forget: what the user forgot, or rejected while pending, is not learned again
from the exchange it came from, nor from the same statement repeated in that conversation.

A refusal keeps only a keyed fingerprint of the statement (HMAC-SHA256, with a random key kept
in the profile's own encrypted settings, over the statement's content words), the exchange it
came from, and when the statement was last seen. Never its text: the forgotten words are gone.

A statement is held back while its conversation lasts: the same exchange, or a repeat less than
:data:`CONVERSATION_GAP_S` after the statement was last seen (each held-back repeat extends it).
Said again after a longer pause, it is stated anew: the refusal is dropped and it is learned.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from lampdesk.text import content_words
from lampdesk.vault.store import Store, utc_now

#: The profile setting holding the fingerprints' key (hex).
KEY_SETTING = "memory.refusal_key"
#: A pause longer than this ends a conversation: a statement made after it is made anew.
CONVERSATION_GAP_S = 30 * 60


def _key(store: Store) -> bytes:
    with store.transaction():
        rows = store.query("SELECT value FROM settings WHERE key = ?", (KEY_SETTING,))
        if rows:
            return bytes.fromhex(str(rows[0][0]))
        key = secrets.token_bytes(32)
        store.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (KEY_SETTING, key.hex()))
        return key


def fingerprint(store: Store, text: str) -> str:
    """The keyed fingerprint of a statement: alike for "I love steak!" and "i love steak"."""
    words = sorted(content_words(text)) or text.lower().split()
    return hmac.new(_key(store), " ".join(words).encode(), hashlib.sha256).hexdigest()


def refuse(store: Store, texts: Iterable[str], interaction_id: int | None) -> None:
    """Hold back *texts* (a forgotten memory's versions, a rejected proposal) from now on."""
    now = utc_now()
    with store.transaction():
        for text in dict.fromkeys(t for t in texts if t.strip()):
            store.execute(
                "INSERT INTO memory_refusals(fingerprint, interaction_id, refused_at, seen_at) "
                "VALUES (?, ?, ?, ?)",
                (fingerprint(store, text), interaction_id, now, now),
            )


def refuse_memory(store: Store, memory_id: int) -> None:
    """Hold back the memory *memory_id* (call before deleting it, in the same transaction):
    its text, its earlier versions, and the exchange it was learned from."""
    with store.transaction():
        texts = [
            str(r[0]) for r in store.query("SELECT text FROM memories WHERE id = ?", (memory_id,))
        ]
        texts += [
            str(r[0])
            for r in store.query(
                "SELECT text FROM memory_history WHERE memory_id = ?", (memory_id,)
            )
        ]
        origin = store.query(
            "SELECT interaction_id FROM memory_origins WHERE memory_id = ?", (memory_id,)
        )
        refuse(store, texts, int(origin[0][0]) if origin else None)


def held_back(store: Store, text: str, interaction_id: int | None) -> bool:
    """Whether *text*, stated in *interaction_id* now, repeats something forgotten within its
    conversation (then the conversation is extended). A statement made anew, after a pause,
    clears its refusal."""
    mark = fingerprint(store, text)
    now = utc_now()
    with store.transaction():
        rows = store.query(
            "SELECT id, interaction_id, seen_at FROM memory_refusals WHERE fingerprint = ?",
            (mark,),
        )
        if not rows:
            return False
        current = _when(now)
        recent = any(
            (interaction_id is not None and origin == interaction_id)
            or current - _when(str(seen)) <= timedelta(seconds=CONVERSATION_GAP_S)
            for _, origin, seen in rows
        )
        if recent:
            store.execute(
                "UPDATE memory_refusals SET seen_at = ? WHERE fingerprint = ?", (now, mark)
            )
        else:
            store.execute("DELETE FROM memory_refusals WHERE fingerprint = ?", (mark,))
        return recent


def _when(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
