"""Chat exports: ChatGPT's and Claude's ``conversations.json`` (alone or inside the export zip).

The user's own messages become retrievable items (with the conversation and message they came
from), each exchange an interaction (the user's message and the assistant's reply), and the
messages that may state facts about the user are handed to the memory pipeline for review
through :func:`candidate_texts`.

ChatGPT keeps a conversation as a tree (``mapping``: node id -> message, parent, children); the
branch the user last saw ends at ``current_node``. Claude keeps a list (``chat_messages`` with
``sender`` "human" or "assistant").
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lampdesk.sources.documents import Block, chunk_blocks, text_blocks
from lampdesk.sources.model import (
    InteractionDraft,
    ItemDraft,
    Limits,
    Part,
    Plan,
    Problem,
    ScanJob,
)

EXPORT_FILE = "conversations.json"
APP_NAMES = {"chatgpt": "ChatGPT", "claude": "Claude"}

_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|im|my|me|mine|myself|we|our|us)\b", re.I)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_CODE = re.compile(r"```|^\s{4,}\S|[{};]\s*$", re.M)
#: Shorter than this, a message is a reaction ("thanks!"), not a fact.
MIN_CANDIDATE_CHARS = 15
#: Longer than this, a message is a paste (a document, an e-mail, code), not a statement.
MAX_CANDIDATE_CHARS = 600


class ExportError(Exception):
    """The file is not a chat export of the kind asked for; the message says why."""


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    text: str
    created_at: str | None  # ISO time, UTC
    model: str = ""


def candidate_texts(messages: Iterable[str]) -> list[str]:
    """The user's messages that the memory pipeline should review as possible facts.

    Not a fact extractor: it only leaves out what cannot be a statement about the user (short
    reactions, long pastes, code, messages with no first-person sentence that is not a
    question) and repeats. Order kept.
    """
    seen: set[str] = set()
    chosen: list[str] = []
    for message in messages:
        text = " ".join(message.split())
        if not MIN_CANDIDATE_CHARS <= len(text) <= MAX_CANDIDATE_CHARS:
            continue
        if _CODE.search(message):
            continue
        statements = [s for s in _SENTENCES.split(text) if s and not s.endswith("?")]
        if not any(_FIRST_PERSON.search(sentence) for sentence in statements):
            continue
        key = text.lower()
        if key not in seen:
            seen.add(key)
            chosen.append(text)
    return chosen


# -- reading the export --------------------------------------------------------------------


def load_export(path: Path, limits: Limits) -> tuple[str, Any]:
    """``(name of the JSON file, its parsed content)`` from an export zip or the bare JSON."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [
                    m
                    for m in archive.infolist()
                    if Path(m.filename).name == EXPORT_FILE and not m.is_dir()
                ]
                if not members:
                    raise ExportError(
                        f"the zip has no {EXPORT_FILE}: it is not a chat export "
                        "(export your data from the app's settings and add the zip it mails you)"
                    )
                member = min(members, key=lambda m: m.filename.count("/"))
                if member.file_size > limits.max_export_bytes:
                    raise ExportError(
                        f"its {EXPORT_FILE} unpacks to {member.file_size / 2**20:.0f} MB, over "
                        f"the {limits.max_export_bytes / 2**20:.0f} MB an export may hold"
                    )
                name = member.filename
                with archive.open(member) as handle:
                    raw = handle.read(limits.max_export_bytes + 1)
        else:
            size = path.stat().st_size
            if size > limits.max_export_bytes:
                raise ExportError(
                    f"it is {size / 2**20:.0f} MB, over the "
                    f"{limits.max_export_bytes / 2**20:.0f} MB an export may hold"
                )
            name, raw = path.name, path.read_bytes()
        return name, json.loads(raw.decode("utf-8-sig"))
    except ExportError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ExportError(f"the zip is damaged ({type(exc).__name__})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(
            f"it is neither a chat export zip nor a {EXPORT_FILE} (not JSON: {exc})"
        ) from exc
    except OSError as exc:
        raise ExportError(f"it cannot be read ({exc.strerror or exc})") from exc


def detect_kind(data: Any) -> str | None:
    """ "chatgpt", "claude", or ``None`` when the JSON is neither export."""
    if not isinstance(data, list):
        return None
    for conversation in data[:20]:
        if isinstance(conversation, dict):
            if "mapping" in conversation:
                return "chatgpt"
            if "chat_messages" in conversation:
                return "claude"
    return None


def _iso(value: Any) -> str | None:
    """An epoch number (ChatGPT) or an ISO string (Claude) as an ISO UTC time."""
    try:
        if isinstance(value, int | float) and value > 0:
            return datetime.fromtimestamp(float(value), UTC).isoformat(timespec="seconds")
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return None
    return None


def chatgpt_messages(conversation: dict[str, Any]) -> list[Message]:
    """The branch the user last saw, root first; system, tool and hidden messages left out."""
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise ExportError("it has no messages ('mapping' is missing or empty)")
    node_id: Any = conversation.get("current_node")
    if not isinstance(node_id, str) or node_id not in mapping:
        # Older exports have no current node: follow the last child from the root.
        roots = [k for k, n in mapping.items() if isinstance(n, dict) and not n.get("parent")]
        node_id = roots[0] if roots else next(iter(mapping))
        visited: set[str] = set()
        while isinstance(node_id, str) and node_id not in visited:
            visited.add(node_id)
            children = (mapping.get(node_id) or {}).get("children")
            if not isinstance(children, list) or not children:
                break
            node_id = children[-1]
    branch: list[dict[str, Any]] = []
    seen: set[str] = set()
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            raise ExportError(f"node {node_id!r} is not an object")
        branch.append(node)
        node_id = node.get("parent")
    messages: list[Message] = []
    for node in reversed(branch):
        message = node.get("message")
        if not isinstance(message, dict):
            continue
        role = str((message.get("author") or {}).get("role", ""))
        metadata = message.get("metadata") or {}
        hidden = metadata.get("is_visually_hidden_from_conversation")
        if role not in ("user", "assistant") or hidden:
            continue
        text = _chatgpt_text(message.get("content") or {})
        if text:
            model = str(metadata.get("model_slug") or "")
            messages.append(Message(role, text, _iso(message.get("create_time")), model))
    return messages


def _chatgpt_text(content: dict[str, Any]) -> str:
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(p for p in parts if isinstance(p, str)).strip()
    text = content.get("text")
    return text.strip() if isinstance(text, str) else ""


def claude_messages(conversation: dict[str, Any]) -> list[Message]:
    chat = conversation.get("chat_messages")
    if not isinstance(chat, list):
        raise ExportError("it has no 'chat_messages' list")
    messages: list[Message] = []
    for message in chat:
        if not isinstance(message, dict):
            continue
        sender = message.get("sender")
        role = {"human": "user", "assistant": "assistant"}.get(str(sender))
        if role is None:
            continue
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            content = message.get("content")
            pieces = [
                c.get("text", "")
                for c in (content if isinstance(content, list) else [])
                if isinstance(c, dict) and c.get("type") == "text"
            ]
            text = "\n".join(p for p in pieces if isinstance(p, str))
        if text.strip():
            messages.append(Message(role, text.strip(), _iso(message.get("created_at"))))
    return messages


# -- the plan ------------------------------------------------------------------------------


def conversation_part(
    kind: str, conversation: dict[str, Any], number: int, file_name: str, limits: Limits
) -> Part:
    """One conversation as a part: the user's messages as items, each exchange an
    interaction, and the candidates for the memory pipeline."""
    if kind == "chatgpt":
        messages = chatgpt_messages(conversation)
        key = str(conversation.get("conversation_id") or conversation.get("id") or "")
        title = str(conversation.get("title") or "")
        started = _iso(conversation.get("create_time"))
        modified = _iso(conversation.get("update_time"))
    else:
        messages = claude_messages(conversation)
        key = str(conversation.get("uuid") or "")
        title = str(conversation.get("name") or "")
        started = _iso(conversation.get("created_at"))
        modified = _iso(conversation.get("updated_at"))
    title = " ".join(title.split())[:200] or f"Conversation {number}"
    fingerprint = hashlib.sha256(
        json.dumps(conversation, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    part = Part(key or f"#{number}", file_name, title, fingerprint, modified or started)
    for index, message in enumerate(messages):
        if message.role != "user":
            continue
        position = f"message {index + 1}"
        when = message.created_at or started
        day = when[:10] if when else None
        blocks = [Block(b.text, position) for b in text_blocks(message.text)]
        for chunk in chunk_blocks(blocks, limits.max_chunk_chars):
            part.items.append(
                ItemDraft(chunk.text, position, kind="message", happened_at=day, context=title)
            )
        replies = []
        for reply in messages[index + 1 :]:
            if reply.role == "user":
                break
            replies.append(reply)
        part.interactions.append(
            InteractionDraft(
                question=message.text,
                answer="\n\n".join(r.text for r in replies),
                position=position,
                created_at=when or "",
                model=next((r.model for r in replies if r.model), "") or f"{kind}-export",
            )
        )
    part.candidates = candidate_texts(m.text for m in messages if m.role == "user")
    return part


def scan_export(
    kind: str,
    path: Path,
    job: ScanJob,
) -> Plan:
    """Read a ChatGPT or Claude export; a broken conversation is a problem, the rest goes on.
    A file that is not an export of *kind* at all raises :class:`ExportError`."""
    known, limits = job.known, job.limits
    app = APP_NAMES[kind]
    file_name, data = load_export(path, limits)
    found = detect_kind(data)
    if found is None and not (isinstance(data, list) and not data):
        raise ExportError(f"its {Path(file_name).name} is not a {app} export")
    if found is not None and found != kind:
        raise ExportError(
            f"it is a {APP_NAMES[found]} export, not a {app} one: add it with 'source add {found}'"
        )
    plan = Plan(kind, str(path), f"{app} export ({path.name})")
    seen: set[str] = set()
    for number, conversation in enumerate(data, start=1):
        job.check_cancel()
        if number % 50 == 0:
            job.report(number, len(data))
        where = f"{file_name} conversation {number}"
        if not isinstance(conversation, dict):
            plan.problems.append(Problem(where, "not a conversation (not a JSON object)"))
            continue
        try:
            part = conversation_part(kind, conversation, number, file_name, limits)
        except ExportError as exc:
            plan.problems.append(Problem(where, str(exc)))
            continue
        except (AttributeError, TypeError, ValueError) as exc:  # a field of an unexpected shape
            plan.problems.append(Problem(where, f"malformed ({type(exc).__name__}: {exc})"))
            continue
        if part.key in seen:
            part.key = f"{part.key}#{number}"
        seen.add(part.key)
        if known.get(part.key) == part.fingerprint:
            plan.unchanged.append(part.key)
        elif part.items or part.interactions:
            plan.parts.append(part)
    plan.removed = sorted(set(known) - seen)
    job.report(len(data), len(data))
    return plan
