"""``lampdesk remember`` and ``lampdesk memory ...``: what LampDesk remembers, and how it learns."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.errors import LampdeskError, UsageError
from lampdesk.memory.browse import SORTS, select


def register(commands: Any) -> None:
    remember = commands.add_parser("remember", help="tell LampDesk a fact about you")
    remember.add_argument("text", nargs="+")
    remember.set_defaults(handler=remember_fact)

    memory = commands.add_parser("memory", help="what LampDesk remembers")
    actions = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="list memories")
    list_.add_argument("--search", metavar="WORDS", help="only memories with these words")
    list_.add_argument("--sort", choices=SORTS, default="id")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_memories)
    edit = actions.add_parser("edit", help="change a memory's text (the old one is kept)")
    edit.add_argument("id", type=int)
    edit.add_argument("text", nargs="+")
    edit.set_defaults(handler=edit_memory)
    forget = actions.add_parser("forget", help="forget a memory everywhere")
    forget.add_argument("id", type=int)
    forget.set_defaults(handler=forget_memory)
    pin = actions.add_parser("pin", help="put a memory in every prompt; learning never changes it")
    pin.add_argument("id", type=int)
    pin.add_argument("--off", action="store_true", help="unpin")
    pin.set_defaults(handler=pin_memory)
    history = actions.add_parser("history", help="a memory's earlier versions")
    history.add_argument("id", type=int)
    history.set_defaults(handler=memory_history)
    pending = actions.add_parser("pending", help="changes learned and waiting for you")
    pending.add_argument("--json", action="store_true")
    pending.set_defaults(handler=list_pending)
    accept = actions.add_parser("accept", help="accept pending changes")
    accept.add_argument("ids", type=int, nargs="*")
    accept.add_argument("--all", action="store_true")
    accept.set_defaults(handler=accept_pending)
    reject = actions.add_parser("reject", help="drop pending changes")
    reject.add_argument("ids", type=int, nargs="+")
    reject.set_defaults(handler=reject_pending)
    learn = actions.add_parser("learn", help="learn from a text as if you had said it in chat")
    learn.add_argument("text", nargs="+")
    learn.add_argument("--json", action="store_true")
    learn.set_defaults(handler=learn_from_text)
    config = actions.add_parser(
        "config", help="show or set: enabled, ask_first, model_extraction (on/off)"
    )
    config.add_argument("assignments", nargs="*", metavar="KEY=on|off")
    config.set_defaults(handler=memory_config)


def remember_fact(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    text = " ".join(args.text)
    action, memory = session.assistant.remember_how(text)
    if action == "add":
        print(f"Remembered (memory {memory.id}).")
    elif action == "update":
        print(f"Updated memory {memory.id} (see 'memory history {memory.id}').")
    else:
        print(f"Already remembered (memory {memory.id}).")
    return 0


def list_memories(ctx: Context, args: argparse.Namespace) -> int:
    memories = select(ctx.session().profile.memories(), args.search or "", args.sort)
    if args.json:
        print_json([asdict(m) for m in memories])
        return 0
    for memory in memories:
        marks = " pinned" if memory.pinned else ""
        marks += f" weight {memory.weight:.2f}" if memory.weight != 1.0 else ""
        print(f"[{memory.id}] {memory.text}  ({memory.updated_at or memory.created_at}{marks})")
    return 0


def edit_memory(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    if not session.profile.edit_memory(args.id, " ".join(args.text)):
        raise LampdeskError(f"There is no memory {args.id}.")
    session.assistant.index()
    print(f"Memory {args.id} changed; its earlier text is in 'memory history {args.id}'.")
    return 0


def forget_memory(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    if not session.profile.forget(args.id):
        raise LampdeskError(f"There is no memory {args.id}.")
    session.assistant.index()
    print(f"Forgot memory {args.id}.")
    return 0


def pin_memory(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.session().profile.set_pinned(args.id, not args.off):
        raise LampdeskError(f"There is no memory {args.id}.")
    print(f"Memory {args.id} {'unpinned' if args.off else 'pinned'}.")
    return 0


def memory_history(ctx: Context, args: argparse.Namespace) -> int:
    profile = ctx.session().profile
    if not profile.memories([args.id]):
        raise LampdeskError(f"There is no memory {args.id}.")
    for text, reason, when in profile.memory_history(args.id):
        print(f"{when}  {text}  ({reason})")
    print(f"now  {profile.memories([args.id])[0].text}")
    return 0


def list_pending(ctx: Context, args: argparse.Namespace) -> int:
    proposals = ctx.session().profile.proposals()
    if args.json:
        print_json([asdict(p) for p in proposals])
        return 0
    if not proposals:
        print("Nothing is waiting for you.")
    for p in proposals:
        was = f" (now: {p.current})" if p.current else ""
        print(f"[{p.id}] {p.action} {p.text}{was}")
    return 0


def accept_pending(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    ids = [p.id for p in session.profile.proposals()] if args.all else args.ids
    if not ids:
        raise UsageError("Name the pending changes to accept, or use --all.")
    for proposal_id in ids:
        memory = session.profile.accept(proposal_id)
        print(f"Accepted {proposal_id}" + (f": memory {memory.id}." if memory else "."))
    session.assistant.index()
    return 0


def reject_pending(ctx: Context, args: argparse.Namespace) -> int:
    profile = ctx.session().profile
    for proposal_id in args.ids:
        if not profile.reject(proposal_id):
            raise LampdeskError(f"There is no pending memory {proposal_id}.")
        print(f"Dropped {proposal_id}.")
    return 0


def learn_from_text(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    outcomes = session.assistant.learner.learn(None, " ".join(args.text))
    if args.json:
        print_json([o.as_json() for o in outcomes])
        return 0
    if not outcomes:
        print("Nothing to learn: no statement about you was found.")
    for o in outcomes:
        where = f" -> pending {o.proposal_id}" if o.proposal_id else ""
        print(f"{o.decision.action}: {o.decision.candidate.text} ({o.decision.reason}){where}")
    return 0


def memory_config(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    changes = {}
    for assignment in args.assignments:
        key, _, value = assignment.partition("=")
        changes[key.strip()] = value
    for key, value in session.set_memory_settings(changes).items():
        print(f"{key}={value}")
    return 0
