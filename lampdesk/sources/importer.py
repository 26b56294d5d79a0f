"""Adding, rescanning and removing sources: scan (a preview), store, then index.

The order is what keeps a crash harmless: a scan writes nothing; storing is one transaction
(the memories' triggers fill FTS and the retrieval outbox with it); only then are the new items
embedded and passed to Chroma, from the outbox. A process killed while storing leaves the source
absent; killed while indexing, the source is whole and the next sync (any search, or ``lampdesk
doctor`` for the index itself) finishes the vectors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lampdesk.errors import SourceError
from lampdesk.memory.learner import MEMORY_ENABLED, MemoryLearner, Outcome, setting_on
from lampdesk.profile import Profile
from lampdesk.retrieval.retriever import Retriever
from lampdesk.sources.book import SourceBook, SourceInfo, Written, learned_source
from lampdesk.sources.model import Limits, Plan, Progress
from lampdesk.sources.scan import scan
from lampdesk.vault.backup import MARGIN_BYTES, require_free_space

#: Bytes on disk per byte of imported text: the row, two full-text indexes, the source's
#: bookkeeping, and the WAL holding every page once more until it is checkpointed.
STORAGE_FACTOR = 6


def storage_estimate(plan: Plan) -> int:
    """About how much disk storing *plan* takes (checked before anything is written)."""
    text = sum(
        len(item.text.encode()) + len(item.context.encode()) + 64
        for part in plan.parts
        for item in part.items
    ) + sum(
        len(x.question.encode()) + len(x.answer.encode()) + 64
        for part in plan.parts
        for x in part.interactions
    )
    return STORAGE_FACTOR * text + MARGIN_BYTES


@dataclass
class ImportReport:
    """What an add or rescan did, for the CLI's report and the GUI's."""

    plan: Plan
    written: Written | None
    indexed: bool
    #: The user's messages the memory pipeline should review (chat exports).
    candidates: list[str] = field(default_factory=list)
    #: What the memory loop made of the candidates (added, updated, or waiting for the user).
    learned: list[Outcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = self.plan.as_json()
        data.pop("files")
        data["files_added"] = len(self.plan.parts)
        data["learned"] = [o.as_json() for o in self.learned]
        if self.written is not None:
            data["source_id"] = self.written.source_id
            data["items_removed"] = self.written.items_removed
            data["interactions_removed"] = self.written.interactions_removed
        data["indexed"] = self.indexed
        return data


class SourceImporter:
    """Sources of one open profile; the CLI and the GUI's worker both drive this."""

    def __init__(
        self, profile: Profile, retriever: Retriever, limits: Limits | None = None
    ) -> None:
        self.profile = profile
        self.retriever = retriever
        self.book = SourceBook(profile.store)
        self.limits = limits or Limits()

    def sources(self) -> list[SourceInfo]:
        return self.book.sources()

    def preview(
        self,
        kind: str,
        path: Path,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Plan:
        """What adding the source would add; nothing is written."""
        path = path.expanduser().absolute()
        for info in self.book.sources():
            if info.kind == kind and info.path == str(path):
                raise SourceError(
                    f"{path} is already source {info.id}: use 'lampdesk source rescan {info.id}'."
                )
        return scan(kind, path, limits=self.limits, progress=progress, cancel=cancel)

    def preview_rescan(
        self,
        source_id: int,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Plan:
        info = self.book.get(source_id)
        path = Path(info.path)
        if not path.exists():
            raise SourceError(
                f"Source {source_id} was read from {path}, which is gone; "
                f"remove it with 'lampdesk source remove {source_id}' if it is not coming back."
            )
        plan = scan(
            info.kind,
            path,
            self.book.known_parts(source_id),
            limits=self.limits,
            progress=progress,
            cancel=cancel,
        )
        plan.source_id = source_id
        plan.label = info.label
        return plan

    def apply(
        self,
        plan: Plan,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ImportReport:
        """Store *plan* (all of it or nothing), then index it. Cancel stops storing with
        nothing written; once stored, cancel only leaves indexing for the next search."""
        if plan.source_id is None and not plan.parts:
            reasons = "; ".join(f"{p.path}: {p.message}" for p in plan.problems[:5])
            raise SourceError(
                f"Nothing to add from {plan.path}" + (f": {reasons}" if reasons else ".")
            )
        require_free_space(
            self.profile.store.path.parent, storage_estimate(plan), f"Adding {plan.path}"
        )
        written = self.book.apply(plan, progress, cancel)
        learned = self.learn(plan.candidates, written.source_id) if written else []
        indexed = self.index(progress=progress, cancel=cancel)
        return ImportReport(plan, written, indexed, plan.candidates, learned)

    def learn(self, texts: list[str], source_id: int) -> list[Outcome]:
        """The user's own messages through the memory loop (its review when "ask me first" is
        on); nothing when memory is off. New memories belong to the source (removing it removes
        them). What was added or changed, or is waiting."""
        if not texts or not setting_on(self.profile, MEMORY_ENABLED):
            return []
        learner = MemoryLearner(self.profile, embedder=self.retriever.embedder)
        origin, items = learned_source(source_id), self.book.item_source(source_id)
        outcomes = [
            o for text in texts for o in learner.learn(None, text, source=origin, beside=items)
        ]
        return [o for o in outcomes if o.decision.action != "none"]

    def index(
        self, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> bool:
        """Embed and index what changed; ``False`` if cancelled before the end."""

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress("indexing", done, total)

        self.retriever.sync(report, cancel)
        return not (cancel is not None and cancel.is_set())

    def remove(self, source_id: int, *, progress: Progress | None = None) -> Written:
        """Remove the source and all that came from it: store, FTS at once, Chroma next."""
        written = self.book.remove(source_id)
        self.index(progress=progress)
        return written
