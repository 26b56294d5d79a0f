"""``lampdesk profile ...``: the profile's attributes and the list of profiles."""

from __future__ import annotations

import argparse
from typing import Any

from lampdesk.cli import vault_cmds
from lampdesk.cli.context import Context, print_json
from lampdesk.profile import parse_attribute


def register(commands: Any) -> None:
    profile = commands.add_parser("profile", help="see and change the profile's attributes")
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    set_ = actions.add_parser("set", help="set attributes: key=value ...")
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    set_.set_defaults(handler=set_attributes)
    unset = actions.add_parser("unset", help="remove attributes")
    unset.add_argument("keys", nargs="+", metavar="KEY")
    unset.set_defaults(handler=unset_attributes)
    show = actions.add_parser("show", help="show attributes and memories")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_profile)
    list_ = actions.add_parser("list", help="list the profiles of this installation")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_profiles)
    vault_cmds.add_profile_actions(actions)


def set_attributes(ctx: Context, args: argparse.Namespace) -> int:
    pairs = [parse_attribute(a) for a in args.assignments]
    session = ctx.session()
    session.profile.set_attributes(pairs)
    print(f"Profile {session.entry.name!r} updated.")
    return 0


def unset_attributes(ctx: Context, args: argparse.Namespace) -> int:
    removed = ctx.session().profile.unset_attributes([k.lower() for k in args.keys])
    print(f"Removed {removed} attribute(s).")
    return 0


def show_profile(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    attributes = session.profile.attributes()
    memories = session.profile.memories()
    if args.json:
        print_json(
            {
                "profile": session.entry.name,
                "key": session.entry.key_mode.value,
                "attributes": attributes,
                "memories": [{"id": m.id, "text": m.text} for m in memories],
            }
        )
        return 0
    print(f"Profile {session.entry.name} (protected by {session.entry.key_mode.value})")
    for key, value in attributes.items():
        print(f"  {key} = {value}")
    for memory in memories:
        print(f"  [{memory.id}] {memory.text}")
    return 0


def list_profiles(ctx: Context, args: argparse.Namespace) -> int:
    registry = ctx.app.vault.registry
    active = registry.active()
    entries = registry.entries()
    if args.json:
        print_json(
            [
                {
                    "name": e.name,
                    "key": e.key_mode.value,
                    "created_at": e.created_at,
                    "active": e.name == active,
                }
                for e in entries
            ]
        )
        return 0
    for entry in entries:
        mark = "*" if entry.name == active else " "
        print(f"{mark} {entry.name}\t{entry.key_mode.value}\t{entry.created_at}")
    return 0
