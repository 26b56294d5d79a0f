"""What a scan of a source produces, before anything is written: the plan an import applies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lampdesk.errors import LampdeskError

KINDS = ("folder", "chatgpt", "claude", "locomo")
MIB = 1024 * 1024

#: ``progress(stage, done, total)``; stages are "reading", "storing" and "indexing".
Progress = Callable[[str, int, int], None]


class ImportCancelled(LampdeskError):
    """The user cancelled an import before it was stored: nothing was added."""

    exit_code = 130


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ImportCancelled("Import cancelled: nothing was added.")


@dataclass(frozen=True)
class Limits:
    """What one source may hold; beyond these, files are left out with a message each."""

    max_file_bytes: int = 64 * MIB
    max_source_bytes: int = 512 * MIB
    max_files: int = 20_000
    #: The uncompressed ``conversations.json`` of a chat export (a zip bomb is refused).
    max_export_bytes: int = 1024 * MIB
    #: An item holds at most this many characters (about 400 tokens).
    max_chunk_chars: int = 1600


@dataclass(frozen=True)
class ScanJob:
    """What every kind of scan is given: the parts a source gave before (key to fingerprint),
    the limits, and where to report progress and look for a cancel."""

    known: dict[str, str]
    limits: Limits
    progress: Progress | None = None
    cancel: threading.Event | None = None

    def check_cancel(self) -> None:
        check_cancel(self.cancel)

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress("reading", done, total)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document cut on its structure; ``context`` is its heading path."""

    text: str
    position: str
    context: str = ""


@dataclass(frozen=True)
class ItemDraft:
    text: str
    position: str
    kind: str = "document"
    happened_at: str | None = None
    context: str = ""
    turn_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class InteractionDraft:
    """One exchange with another assistant: the user's message and the reply."""

    question: str
    answer: str
    position: str
    created_at: str
    model: str


@dataclass
class Part:
    """One file of a folder or one conversation of an export: the unit a rescan compares."""

    key: str
    path: str
    title: str
    fingerprint: str
    modified_at: str | None
    items: list[ItemDraft] = field(default_factory=list)
    interactions: list[InteractionDraft] = field(default_factory=list)
    #: The user's messages worth a review by the memory pipeline (chat exports only).
    candidates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A file (or conversation) that could not be taken in, and why, for the import report."""

    path: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class Plan:
    """What an import or rescan will do; nothing is written until it is applied."""

    kind: str
    path: str
    label: str
    source_id: int | None = None
    parts: list[Part] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Keys of parts that could not be read this time: what they gave before is kept.
    failed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Files of other types, left out, by suffix.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return sum(len(p.items) for p in self.parts)

    @property
    def interactions(self) -> int:
        return sum(len(p.interactions) for p in self.parts)

    @property
    def candidates(self) -> list[str]:
        return [text for part in self.parts for text in part.candidates]

    def as_json(self, preview_items: int = 3) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "label": self.label,
            "source_id": self.source_id,
            "items": self.items,
            "interactions": self.interactions,
            "candidates": len(self.candidates),
            "files": [
                {
                    "path": part.path,
                    "title": part.title,
                    "items": len(part.items),
                    "interactions": len(part.interactions),
                    "first": [item.text[:200] for item in part.items[:preview_items]],
                }
                for part in self.parts
            ],
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "problems": [p.as_json() for p in self.problems],
            "skipped": self.skipped,
        }
