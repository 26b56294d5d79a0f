"""``lampdesk ask`` and ``lampdesk history``: questions, streamed answers, and the record."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.cli.streaming import run_cancellable, write_chunk
from lampdesk.cli.thread_cmds import add_thread_options, print_thread_note
from lampdesk.conversations import Chat, TemporaryChat, ThreadAnswer


def register(commands: Any) -> None:
    ask = commands.add_parser("ask", help="ask a question; the answer streams")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ask.add_argument(
        "--no-personalize", action="store_true", help="answer from the bare model (baseline)"
    )
    forced = ask.add_mutually_exclusive_group()
    forced.add_argument(
        "--quote",
        action="store_true",
        help="answer grounded: quoted from what LampDesk remembers (or 'I don't know')",
    )
    forced.add_argument(
        "--free", action="store_true", help="answer freely, even a question about your facts"
    )
    ask.add_argument("--max-tokens", help="overrides the profile's setting for this answer")
    ask.add_argument("--temperature", help="overrides the profile's setting for this answer")
    add_thread_options(ask)
    ask.set_defaults(handler=ask_question)

    history = commands.add_parser("history", help="past questions and answers")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=show_history)


def ask_question(ctx: Context, args: argparse.Namespace) -> int:
    session = ctx.session()
    overrides = {"max_tokens": args.max_tokens, "temperature": args.temperature}
    settings = session.assistant.generation_settings(
        **{key: value for key, value in overrides.items() if value is not None}
    )

    def work(cancel: threading.Event) -> ThreadAnswer:
        return Chat(session.assistant).ask(
            " ".join(args.question),
            thread_id=args.thread,
            temporary=TemporaryChat() if args.temporary else None,
            personalize=not args.no_personalize,
            on_chunk=None if args.json else write_chunk,
            cancel=cancel,
            settings=settings,
            mode="grounded" if args.quote else "free" if args.free else None,
        )

    answer = run_cancellable(work, name="lampdesk-ask")
    result = answer.result
    if args.json:
        print_json(answer.as_json())
        return 0
    print()
    print_thread_note(answer)
    for warning in result.warnings:
        print(f"lampdesk: warning: {warning}", file=sys.stderr)
    if result.items:
        used = ", ".join(f"#{item.id}" for item in result.items)
        print(
            f"({result.mode}: personalised with your profile; memories used: {used})",
            file=sys.stderr,
        )
    elif result.note:
        print(f"({result.note})", file=sys.stderr)
    return 130 if result.cancelled else 0


def show_history(ctx: Context, args: argparse.Namespace) -> int:
    rows = ctx.session().profile.interactions(args.limit)
    if args.json:
        print_json(rows)
        return 0
    for row in reversed(rows):
        print(f"[{row['created_at']}] Q: {row['question']}\n  A: {row['answer']}")
    return 0
