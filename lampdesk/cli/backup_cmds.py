"""``lampdesk profile backup|backups|restore``: the profile's automatic backups by hand.

Only dates, sizes and counts are printed, never user content.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.errors import UsageError
from lampdesk.vault import backup, lock, recovery
from lampdesk.vault.profiles import ProfileEntry


def add_profile_actions(actions: Any) -> None:
    take = actions.add_parser("backup", help="take an encrypted backup of the profile now")
    take.set_defaults(handler=take_backup)
    listed = actions.add_parser("backups", help="list the profile's backups")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=list_backups)
    restore = actions.add_parser(
        "restore", help="replace the profile by its newest (or the named) backup"
    )
    restore.add_argument("backup", nargs="?", help="a name from 'lampdesk profile backups'")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=restore_backup)


@contextmanager
def locked_profile(ctx: Context) -> Iterator[ProfileEntry]:
    """The profile, locked against other LampDesk processes while it is backed up or replaced."""
    entry = ctx.app.vault.registry.get(ctx.profile_name)
    path = ctx.paths.profile_lock(entry.id)
    lock.acquire(path, entry.name)
    try:
        yield entry
    finally:
        lock.release(path)


def take_backup(ctx: Context, args: argparse.Namespace) -> int:
    with locked_profile(ctx) as entry:
        _, store = ctx.app.vault.open(entry.name)
        with store:
            info = backup.take(store, ctx.paths.backups_dir(entry.id))
    print(
        f"Backed up profile {entry.name!r}: {info.name} ({info.size / 1e6:.1f} MB, "
        f"{info.memories} memories, {info.exchanges} exchanges)."
    )
    return 0


def list_backups(ctx: Context, args: argparse.Namespace) -> int:
    entry = ctx.app.vault.registry.get(ctx.profile_name)
    found = backup.list_backups(ctx.paths.backups_dir(entry.id))
    if args.json:
        print_json([b.as_json() for b in found])
        return 0
    if not found:
        print(f"Profile {entry.name!r} has no backup yet ('lampdesk profile backup' takes one).")
    for info in found:
        when = info.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{info.name}\t{when}\t{info.size / 1e6:.1f} MB\t"
            f"{info.memories} memories\t{info.exchanges} exchanges"
        )
    return 0


def restore_backup(ctx: Context, args: argparse.Namespace) -> int:
    entry = ctx.app.vault.registry.get(ctx.profile_name)
    chosen = backup.find(ctx.paths.backups_dir(entry.id), args.backup)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("A restore replaces the profile by the backup: add --yes to confirm.")
        answer = input(
            f"Replace profile {entry.name!r} by the backup {chosen.name} "
            f"({chosen.memories} memories, {chosen.exchanges} exchanges)? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was restored.")
            return 1
    info = restore_now(ctx, entry, args.backup)
    print(
        f"Restored profile {entry.name!r} from {info.name}: {info.memories} memories, "
        f"{info.exchanges} exchanges. Search indexes rebuilt."
    )
    return 0


def restore_now(ctx: Context, entry: ProfileEntry, name: str | None) -> backup.BackupInfo:
    return recovery.restore_with_undo(ctx.app.vault, entry, name)
