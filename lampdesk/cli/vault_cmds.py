"""The vault's commands: ``profile create|use|rename|delete|export|import|passphrase|rekey`` and
``doctor``. User content is never printed here: only profile names, counts and ids."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lampdesk.cli import backup_cmds
from lampdesk.cli.context import Context, print_json, terminal_prompt
from lampdesk.errors import ImportFileError, UsageError
from lampdesk.vault import doctor, keys, portable
from lampdesk.vault.keys import KeyMode


def register(commands: Any) -> None:
    check = commands.add_parser("doctor", help="check every profile and the data directory")
    check.add_argument("--json", action="store_true")
    repair = check.add_mutually_exclusive_group()
    repair.add_argument(
        "--restore",
        dest="repair",
        action="store_const",
        const="restore",
        help="restore a damaged profile from its newest good backup",
    )
    repair.add_argument(
        "--salvage",
        dest="repair",
        action="store_const",
        const="salvage",
        help="copy what a damaged profile still holds into a new database",
    )
    check.set_defaults(handler=run_doctor)


def add_profile_actions(actions: Any) -> None:
    """The vault's sub-commands of ``lampdesk profile``."""
    create = actions.add_parser("create", help="create a new, empty profile")
    create.add_argument("name")
    mode = create.add_mutually_exclusive_group()
    mode.add_argument("--keyring", dest="mode", action="store_const", const=KeyMode.KEYRING)
    mode.add_argument("--passphrase", dest="mode", action="store_const", const=KeyMode.PASSPHRASE)
    create.set_defaults(handler=create_profile)

    use = actions.add_parser("use", help="make a profile the one used when none is named")
    use.add_argument("name")
    use.set_defaults(handler=use_profile)

    rename = actions.add_parser("rename", help="rename a profile")
    rename.add_argument("old")
    rename.add_argument("new")
    rename.set_defaults(handler=rename_profile)

    delete = actions.add_parser("delete", help="delete a profile: database, index and key")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=delete_profile)

    export = actions.add_parser("export", help="write the profile to one encrypted file")
    export.add_argument("file", type=Path)
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    export.set_defaults(handler=export_profile)

    import_ = actions.add_parser("import", help="import an export file (as a new profile)")
    import_.add_argument("file", type=Path)
    target = import_.add_mutually_exclusive_group()
    target.add_argument("--as", dest="as_name", metavar="NAME", help="name of the new profile")
    target.add_argument("--merge", metavar="NAME", help="merge into this existing profile")
    import_.add_argument(
        "--no-index", action="store_true", help="leave the search index to the next question"
    )
    import_.set_defaults(handler=import_profile)

    passphrase = actions.add_parser(
        "passphrase",
        help="protect the profile with a new passphrase ($LAMPDESK_NEW_PASSPHRASE or asked)",
    )
    passphrase.set_defaults(handler=change_passphrase)

    rekey = actions.add_parser("rekey", help="re-encrypt the profile under a fresh key")
    rekey.add_argument(
        "--to",
        choices=[m.value for m in KeyMode],
        help="move the key to the OS keyring or to a passphrase (default: keep the mode)",
    )
    rekey.set_defaults(handler=rekey_profile)
    backup_cmds.add_profile_actions(actions)


def create_profile(ctx: Context, args: argparse.Namespace) -> int:
    entry, store = ctx.app.vault.create(args.name, args.mode)
    store.close()
    print(f"Created profile {entry.name!r} (protected by {entry.key_mode.value}).")
    return 0


def use_profile(ctx: Context, args: argparse.Namespace) -> int:
    entry = ctx.app.vault.use(args.name)
    print(f"Profile {entry.name!r} is now used when no profile is named.")
    return 0


def rename_profile(ctx: Context, args: argparse.Namespace) -> int:
    entry = ctx.app.vault.rename(args.old, args.new)
    print(f"Renamed profile {args.old!r} to {entry.name!r}.")
    return 0


def delete_profile(ctx: Context, args: argparse.Namespace) -> int:
    vault = ctx.app.vault
    vault.registry.get(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("Deleting a profile cannot be undone: add --yes to confirm.")
        answer = input(f"Delete profile {args.name!r} and everything in it? Type its name: ")
        if answer != args.name:
            print("Nothing was deleted.")
            return 1
    vault.delete(args.name)
    print(f"Deleted profile {args.name!r} (database, index and key).")
    return 0


def export_profile(ctx: Context, args: argparse.Namespace) -> int:
    target: Path = args.file
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists already: choose another name or add --force.")
    if target.is_dir():
        raise UsageError(f"{target} is a directory.")
    entry, store = ctx.app.vault.open(ctx.profile_name)
    with store:
        passphrase = keys.export_passphrase(terminal_prompt, confirm=True)
        data = portable.export_bytes(store, entry.name, passphrase)
    portable.write_export_file(target, data)
    print(f"Exported profile {entry.name!r} to {target} (encrypted; vectors are not included).")
    return 0


def import_profile(ctx: Context, args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"Cannot read {args.file}: {exc.strerror}.") from exc
    # Format, version and authenticity are all checked before anything is touched.
    portable.read_header(data)
    passphrase = keys.export_passphrase(terminal_prompt, confirm=False)
    result = portable.import_profile(
        ctx.app.vault, data, passphrase, as_name=args.as_name, merge=args.merge
    )
    name, payload, report = result.name, result.payload, result.merge
    if report is not None:
        added = sum(report.added.values())
        dupes = sum(report.duplicates.values())
        print(
            f"Merged into profile {name!r}: {added} rows added, {dupes} duplicates skipped, "
            f"{report.attributes_updated} attributes updated to newer values, "
            f"{report.attributes_kept} kept."
        )
    else:
        print(f"Imported profile {name!r}: {payload.count('memories')} memories.")
    if not args.no_index and payload.count("memories"):
        count = payload.count("memories")
        print(f"Rebuilding the search index: embedding {count} memories...", file=sys.stderr)
        session = ctx.app.open(name, create=False)
        try:
            session.assistant.index()
        finally:
            session.close()
        print("Search index ready.", file=sys.stderr)
    return 0


def change_passphrase(ctx: Context, args: argparse.Namespace) -> int:
    entry = ctx.app.vault.rekey(ctx.profile_name, KeyMode.PASSPHRASE)
    print(f"Profile {entry.name!r} is now protected by the new passphrase.")
    return 0


def rekey_profile(ctx: Context, args: argparse.Namespace) -> int:
    to = KeyMode(args.to) if args.to else None
    entry = ctx.app.vault.rekey(ctx.profile_name, to)
    print(f"Profile {entry.name!r} re-encrypted under a fresh key ({entry.key_mode.value}).")
    return 0


def run_doctor(ctx: Context, args: argparse.Namespace) -> int:
    report = doctor.run(ctx.app.vault, getattr(args, "repair", None))
    if args.json:
        print_json(report.as_json())
    else:
        for name, findings in report.profiles.items():
            print(f"profile {name}:")
            for f in findings:
                print(f"  {f.status:8} {f.check}: {f.detail}")
        print(f"data directory {ctx.paths.root}:")
        for f in report.data_dir:
            print(f"  {f.status:8} {f.check}: {f.detail}")
        print("All good." if report.ok else "Some problems could not be fixed (see above).")
    return 0 if report.ok else 1
