"""``lampdesk constraint ...``: what every answer keeps to (diets, allergies, rules), where
LampDesk found it, and the user's changes (switch one off, add or allow words)."""

from __future__ import annotations

import argparse
from typing import Any

from lampdesk.cli.context import Context, print_json

SHOWN_TERMS = 12


def register(commands: Any) -> None:
    constraint = commands.add_parser(
        "constraint", help="diets, allergies and rules every answer keeps to"
    )
    actions = constraint.add_subparsers(dest="constraint_command", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="each constraint, where it came from, what it excludes")
    list_.add_argument("--json", action="store_true")
    list_.add_argument("--all-terms", action="store_true", help="every excluded word, not a sample")
    list_.set_defaults(handler=list_constraints)
    add = actions.add_parser(
        "add",
        help="keep more words out: add them to a constraint, or name a new one "
        "(e.g. constraint add mushrooms mushroom truffle)",
    )
    add.add_argument("id", metavar="ID")
    add.add_argument("terms", nargs="+", metavar="WORD")
    add.set_defaults(handler=add_terms)
    remove = actions.add_parser(
        "remove", help="switch a constraint off, or with words, stop excluding just those"
    )
    remove.add_argument("id", metavar="ID")
    remove.add_argument("terms", nargs="*", metavar="WORD")
    remove.set_defaults(handler=remove_constraint)
    on = actions.add_parser("on", help="switch a constraint back on")
    on.add_argument("id", metavar="ID")
    on.set_defaults(handler=switch_on)


def list_constraints(ctx: Context, args: argparse.Namespace) -> int:
    constraints = ctx.session().assistant.constraints.constraints()
    if args.json:
        print_json([c.as_json() for c in constraints])
        return 0
    if not constraints:
        print("No constraints: nothing in the profile says what you cannot or will not have.")
        return 0
    for c in constraints:
        state = "on" if c.enabled else "off"
        terms = list(c.terms) if args.all_terms else list(c.terms[:SHOWN_TERMS])
        more = (
            ""
            if args.all_terms or len(c.terms) <= SHOWN_TERMS
            else f" (+{len(c.terms) - SHOWN_TERMS} more)"
        )
        print(f"{c.id} [{state}] {c.label}")
        for source in c.sources:
            print(f"    from {source}")
        print(f"    excludes: {', '.join(terms) or '-'}{more}")
        if c.added_terms:
            print(f"    added by you: {', '.join(c.added_terms)}")
        if c.allowed_terms:
            print(f"    allowed by you: {', '.join(c.allowed_terms)}")
    return 0


def add_terms(ctx: Context, args: argparse.Namespace) -> int:
    c = ctx.session().assistant.constraints.add_terms(args.id, args.terms)
    print(f"{c.id} now excludes {len(c.terms)} word(s), with yours: {', '.join(c.added_terms)}.")
    return 0


def remove_constraint(ctx: Context, args: argparse.Namespace) -> int:
    guard = ctx.session().assistant.constraints
    if args.terms:
        c = guard.remove_terms(args.id, args.terms)
        print(f"{c.id} no longer excludes: {', '.join(args.terms)}.")
        return 0
    c = guard.switch(args.id, on=False)
    print(
        f"{c.id} ({c.label}) is switched off; 'lampdesk constraint on {c.id}' switches it back on."
    )
    return 0


def switch_on(ctx: Context, args: argparse.Namespace) -> int:
    c = ctx.session().assistant.constraints.switch(args.id, on=True)
    print(f"{c.id} ({c.label}) is on.")
    return 0
