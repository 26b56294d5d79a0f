"""Scanning a source: read and parse everything it holds into a :class:`Plan`, writing nothing.

Each file (or conversation) that cannot be taken in becomes a :class:`Problem` with a reason a
person can act on, and the scan goes on with the rest. A rescan passes what the profile already
holds (part key -> fingerprint): unchanged parts are not parsed again, parts that could not be
read this time keep what they gave before, and parts gone from the source are listed for removal.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import lampdesk
from lampdesk.errors import SourceError
from lampdesk.sources.chat import APP_NAMES, ExportError, scan_export
from lampdesk.sources.documents import SUFFIXES, DocumentError, read_document
from lampdesk.sources.locomo import scan_locomo
from lampdesk.sources.model import (
    KINDS,
    MIB,
    ItemDraft,
    Limits,
    Part,
    Plan,
    Problem,
    Progress,
    ScanJob,
)


def scan(
    kind: str,
    path: Path,
    known: dict[str, str] | None = None,
    *,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Plan:
    """What adding (or, with *known*, rescanning) the source at *path* would do."""
    job = ScanJob(known or {}, limits or Limits(), progress, cancel)
    if kind not in KINDS:
        raise SourceError(f"Unknown kind of source {kind!r}: use one of {', '.join(KINDS)}.")
    path = path.expanduser().absolute()
    if not path.exists():
        raise SourceError(f"{path} does not exist.")
    if kind == "folder":
        if not path.is_dir():
            raise SourceError(f"{path} is not a folder: 'source add folder' takes a folder.")
        return scan_folder(path, job)
    if kind == "locomo":
        return scan_locomo(path, job)
    if not path.is_file():
        raise SourceError(
            f"{path} is not a file: add the {APP_NAMES[kind]} export zip "
            "(or the conversations.json inside it)."
        )
    try:
        return scan_export(kind, path, job)
    except ExportError as exc:
        plan = Plan(kind, str(path), f"{APP_NAMES[kind]} export ({path.name})")
        plan.problems.append(Problem(path.name, str(exc)))
        plan.failed = sorted(job.known)  # an unreadable export keeps what it gave before
        return plan


def _files(root: Path, plan: Plan) -> list[Path]:
    """Supported files below *root*, sorted; hidden files and folders and symlinks left out."""
    found: list[Path] = []
    skipped: Counter[str] = Counter()

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or root)
        relative = where.relative_to(root).as_posix() if where != root else "."
        plan.problems.append(Problem(relative, f"cannot be read ({error.strerror or error})"))

    for directory, folders, names in os.walk(root, onerror=unreadable):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(names):
            path = Path(directory) / name
            if name.startswith(".") or path.is_symlink():
                continue
            suffix = path.suffix.lower()
            if suffix in SUFFIXES:
                found.append(path)
            else:
                skipped[suffix or "(no suffix)"] += 1
    plan.skipped = dict(sorted(skipped.items()))
    return found


def scan_folder(
    root: Path,
    job: ScanJob,
) -> Plan:
    known, limits = job.known, job.limits
    plan = Plan("folder", str(root), root.name or str(root))
    files = _files(root, plan)
    seen: set[str] = set()
    total_bytes = 0
    taken = 0
    for number, path in enumerate(files):
        job.check_cancel()
        if number % 20 == 0:
            job.report(number, len(files))
        relative = path.relative_to(root).as_posix()
        seen.add(relative)
        problem = _read_one(path, relative, known, limits, plan, total_bytes, taken)
        if isinstance(problem, Problem):
            plan.problems.append(problem)
            if relative in known:
                plan.failed.append(relative)
        else:
            total_bytes += problem
            taken += 1
    plan.removed = sorted(set(known) - seen)
    job.report(len(files), len(files))
    return plan


def _read_one(
    path: Path,
    relative: str,
    known: dict[str, str],
    limits: Limits,
    plan: Plan,
    total_bytes: int,
    taken: int,
) -> Problem | int:
    """Read and parse one file into *plan*; its size, or the problem that kept it out."""
    try:
        stat = path.stat()
    except OSError as exc:
        return Problem(relative, f"cannot be read ({exc.strerror or exc})")
    size = stat.st_size
    if taken >= limits.max_files:
        return Problem(
            relative,
            f"left out: a source takes at most {limits.max_files} files; "
            "add the rest of the folder as another source",
        )
    if size > limits.max_file_bytes:
        return Problem(
            relative,
            f"left out: it is {_size(size)}, over the {_size(limits.max_file_bytes)} a file may be",
        )
    if total_bytes + size > limits.max_source_bytes:
        return Problem(
            relative,
            f"left out: the folder holds more than the {_size(limits.max_source_bytes)} "
            "one source may take; add its subfolders as separate sources",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Problem(relative, f"cannot be read ({exc.strerror or exc})")
    fingerprint = hashlib.sha256(data).hexdigest()
    if known.get(relative) == fingerprint:
        plan.unchanged.append(relative)
        return size
    try:
        title, chunks = read_document(path, data, limits.max_chunk_chars)
    except DocumentError as exc:
        return Problem(relative, f"not added: {exc}")
    except Exception as exc:  # a parser's own bug on a hostile file must not stop the import
        if _raised_by_lampdesk(exc):
            raise  # LampDesk's own bug is shown as a bug, not blamed on the file
        return Problem(relative, f"not added: the parser failed ({type(exc).__name__})")
    if not chunks:
        return Problem(relative, "not added: it holds no text")
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    day = modified.date().isoformat()
    part = Part(relative, relative, title, fingerprint, modified.isoformat(timespec="seconds"))
    part.items = [ItemDraft(c.text, c.position, "document", day, c.context) for c in chunks]
    plan.parts.append(part)
    return size


def _size(n: int) -> str:
    if n >= 1024 * MIB:
        return f"{n / (1024 * MIB):.1f} GB"
    if n >= MIB:
        return f"{n / MIB:.0f} MB"
    return f"{n / 1024:.0f} KB"


_PACKAGE = Path(lampdesk.__file__).resolve().parent


def _raised_by_lampdesk(exc: BaseException) -> bool:
    """Whether the innermost frame of *exc* is LampDesk's code rather than a parser library's."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE)
