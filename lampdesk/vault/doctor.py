"""``lampdesk doctor``: check every profile and the data directory, repair what can be repaired.

The encrypted database is the truth; the Chroma index is derived from the vectors kept in it and
is rebuilt when the two disagree. The vault knows nothing of retrieval: the index is reached
through :class:`IndexRepair`, which the app wires (:class:`lampdesk.retrieval.dense.IndexRepairer`)
into :attr:`Vault.index_repair <lampdesk.vault.profiles.Vault.index_repair>`; without one, the index
is not checked. Nothing here prints user content: only names, ids and counts.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lampdesk.errors import DamagedProfileError, LampdeskError
from lampdesk.paths import DataPaths
from lampdesk.vault.profiles import ProfileEntry, Vault
from lampdesk.vault.store import Store

PRIVATE_DIR = 0o700


class IndexRepair(Protocol):
    """The derived dense index of a profile, as the doctor checks and rebuilds it."""

    #: The embedding model whose stored vectors (``memory_vectors.model``) the index holds.
    model: str

    def ids(self, index_dir: Path) -> set[int]:
        """The memory ids in the index (raises if the directory is unreadable)."""
        ...

    def forget(self, index_dir: Path) -> None:
        """Remove an unreadable index directory (and any cached handle on it)."""
        ...

    def rebuild(self, index_dir: Path, vectors: dict[int, bytes], indexed: set[int]) -> None:
        """Make the index hold exactly *vectors* (stored blobs), given the ids it holds now."""
        ...


@dataclass
class Finding:
    """One thing checked: ``ok``, ``fixed`` (was wrong, now repaired) or ``problem``."""

    check: str
    status: str
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail}


@dataclass
class Report:
    profiles: dict[str, list[Finding]] = field(default_factory=dict)
    data_dir: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        every = [f for fs in self.profiles.values() for f in fs] + self.data_dir
        return all(f.status != "problem" for f in every)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "profiles": {n: [f.as_json() for f in fs] for n, fs in self.profiles.items()},
            "data_dir": [f.as_json() for f in self.data_dir],
        }


def run(vault: Vault, repair: str | None = None) -> Report:
    """Check everything; with *repair* ``"restore"`` or ``"salvage"``, bring a damaged profile
    back that way."""
    report = Report()
    for entry in vault.registry.entries():
        report.profiles[entry.name] = check_profile(vault, entry, repair)
    report.data_dir = check_data_dir(vault)
    return report


def check_profile(vault: Vault, entry: ProfileEntry, repair: str | None = None) -> list[Finding]:
    try:
        _, store = vault.open(entry.name)
    except DamagedProfileError as exc:
        return _settled([Finding("open", "problem", str(exc)), *damaged(vault, entry, repair)])
    except LampdeskError as exc:
        return [Finding("open", "problem", str(exc))]
    findings = [Finding("open", "ok", f"key: {entry.key_mode.value}")]
    with store:
        problems = store.integrity_problems()
        if problems:
            findings.append(Finding("integrity", "problem", "; ".join(problems[:5])))
            store.close()
            return _settled([*findings, *damaged(vault, entry, repair)])
        findings.append(Finding("integrity", "ok", "cipher_integrity_check, integrity_check"))
        if vault.index_repair is not None:
            findings.append(check_index(vault.paths, entry, store, vault.index_repair))
    findings.append(check_backups(vault.paths, entry))
    return findings


def _settled(findings: list[Finding]) -> list[Finding]:
    """A damage that a restore or a complete salvage repaired is reported as fixed."""
    if findings[-1].check == "recovery" and findings[-1].status == "fixed":
        for finding in findings[:-1]:
            finding.status = "fixed" if finding.status == "problem" else finding.status
    return findings


def check_backups(paths: DataPaths, entry: ProfileEntry) -> Finding:
    from lampdesk.vault import backup

    found = backup.list_backups(paths.backups_dir(entry.id))
    if not found:
        return Finding("backups", "ok", "no backup yet (one is taken after the next change)")
    newest = found[0]
    return Finding(
        "backups",
        "ok",
        f"{len(found)} kept; newest {newest.name} ({newest.memories} memories, "
        f"{newest.exchanges} exchanges)",
    )


def damaged(vault: Vault, entry: ProfileEntry, repair: str | None) -> list[Finding]:
    """What can be done for a damaged profile; with *repair*, do it."""
    from lampdesk.vault import backup, lock, recovery

    good: backup.BackupInfo | None = None
    try:
        key = vault._key_for(entry)
    except LampdeskError as exc:
        return [Finding("recovery", "problem", str(exc))]
    for info in backup.list_backups(vault.paths.backups_dir(entry.id)):
        try:
            backup.verify(info.path, key)
        except LampdeskError:
            continue
        good = info
        break
    if repair is None:
        if good is not None:
            offer = (
                f"restore the newest good backup {good.name} ({good.memories} memories, "
                f"{good.exchanges} exchanges) with 'lampdesk doctor --restore' (or 'lampdesk "
                "profile restore'), or salvage what can still be read with 'lampdesk doctor "
                "--salvage'"
            )
        else:
            offer = (
                "there is no usable backup; salvage what can still be read with 'lampdesk "
                "doctor --salvage'"
            )
        return [Finding("recovery", "problem", offer)]
    lock_path = vault.paths.profile_lock(entry.id)
    lock.acquire(lock_path, entry.name)
    try:
        if repair == "restore":
            if good is None:
                return [
                    Finding("recovery", "problem", "no usable backup to restore: use --salvage")
                ]
            info = recovery.restore(vault.paths, entry, key, good.name, vault.index_repair)
            return [
                Finding(
                    "recovery",
                    "fixed",
                    f"restored {info.name}: {info.memories} memories, {info.exchanges} "
                    "exchanges; search indexes rebuilt",
                )
            ]
        salvaged = recovery.salvage(vault.paths, entry, key, vault.index_repair)
    except LampdeskError as exc:
        return [Finding("recovery", "problem", str(exc))]
    finally:
        lock.release(lock_path)
    detail = "salvaged into a new database; " + "; ".join(salvaged.lines())
    detail += f"; the damaged file is kept as {salvaged.damaged_copy}"
    return [Finding("recovery", "fixed" if salvaged.complete else "problem", detail)]


def check_index(paths: DataPaths, entry: ProfileEntry, store: Store, index: IndexRepair) -> Finding:
    """Compare Chroma's ids with the store's memories; rebuild from the stored vectors."""
    memory_ids = {int(i) for (i,) in store.query("SELECT id FROM memories")}
    rows = store.query(
        "SELECT memory_id, vector FROM memory_vectors WHERE model = ?", (index.model,)
    )
    vectors = {int(mid): bytes(blob) for mid, blob in rows if int(mid) in memory_ids}
    unembedded = len(memory_ids - vectors.keys())
    note = f"; {unembedded} memories get embedded on the next search" if unembedded else ""
    index_dir = paths.index_dir(entry.id)
    if not index_dir.exists() and not vectors:
        return Finding("index", "ok", "no index yet" + note)
    try:
        indexed = index.ids(index_dir)
    except Exception as exc:  # Chroma raises many kinds of error for a damaged directory
        indexed = None
        broken = type(exc).__name__
    if indexed == set(vectors):
        return Finding("index", "ok", f"{len(indexed)} vectors{note}")
    try:
        if indexed is None:
            index.forget(index_dir)
        index.rebuild(index_dir, vectors, indexed or set())
    except Exception as exc:  # the store is intact; only the derived index could not be made
        return Finding("index", "problem", f"could not rebuild the index: {type(exc).__name__}")
    if indexed is None:
        detail = f"unreadable index ({broken}) rebuilt from {len(vectors)} stored vectors"
    else:
        stale, missing = len(indexed - vectors.keys()), len(vectors.keys() - indexed)
        detail = f"index rebuilt from the store: {missing} added, {stale} removed"
    return Finding("index", "fixed", detail + note)


def check_data_dir(vault: Vault) -> list[Finding]:
    paths = vault.paths
    findings: list[Finding] = []
    if not paths.root.exists():
        return [Finding("data dir", "ok", "no data directory yet")]
    for staging in paths.staging_dirs():
        shutil.rmtree(staging, ignore_errors=True)
        findings.append(
            Finding("leftovers", "fixed", f"removed an unfinished import {staging.name}")
        )
    known = {e.id for e in vault.registry.entries()}
    for directory in paths.profile_dirs():
        if directory.name not in known:
            findings.append(
                Finding(
                    "leftovers",
                    "problem",
                    f"{directory} belongs to no profile (an interrupted delete or import); "
                    "remove it once you are sure nothing in it is needed",
                )
            )
    findings.append(_fix_permissions(paths.root))
    return findings


def _fix_permissions(root: Path) -> Finding:
    """Directories 0700, files at most 0600 (group and others get nothing)."""
    fixed: list[str] = []
    failed: list[str] = []
    for path in [root, *root.rglob("*")]:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            continue
        have = stat.S_IMODE(mode)
        if have & 0o077 or (stat.S_ISDIR(mode) and have & 0o700 != 0o700):
            try:
                os.chmod(path, PRIVATE_DIR if stat.S_ISDIR(mode) else have & 0o700)
                fixed.append(str(path.relative_to(root)) or ".")
            except OSError:
                failed.append(str(path))
    if failed:
        return Finding("permissions", "problem", f"could not restrict {len(failed)} paths")
    if fixed:
        return Finding("permissions", "fixed", f"restricted {len(fixed)} paths to their owner")
    return Finding("permissions", "ok", "directories 0700, files 0600")
