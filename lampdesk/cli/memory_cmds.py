"""``lampdesk remember`` and ``lampdesk memory ...``: what LampDesk remembers."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.errors import LampdeskError


def register(commands: Any) -> None:
    remember = commands.add_parser("remember", help="tell LampDesk a fact about you")
    remember.add_argument("text", nargs="+")
    remember.set_defaults(handler=remember_fact)

    memory = commands.add_parser("memory", help="what LampDesk remembers")
    actions = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="list memories")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_memories)
    forget = actions.add_parser("forget", help="forget a memory by id")
    forget.add_argument("id", type=int)
    forget.set_defaults(handler=forget_memory)


def remember_fact(ctx: Context, args: argparse.Namespace) -> int:
    memory = ctx.session().assistant.remember(" ".join(args.text))
    print(f"Remembered (memory {memory.id}).")
    return 0


def list_memories(ctx: Context, args: argparse.Namespace) -> int:
    memories = ctx.session().profile.memories()
    if args.json:
        print_json([asdict(m) for m in memories])
        return 0
    for memory in memories:
        print(f"[{memory.id}] {memory.text}  ({memory.created_at})")
    return 0


def forget_memory(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    if not session.profile.forget(args.id):
        raise LampdeskError(f"There is no memory {args.id}.")
    session.assistant.index()
    print(f"Forgot memory {args.id}.")
    return 0
