"""``lampdesk chat`` and ``lampdesk thread``: conversations in the terminal."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.cli.streaming import run_cancellable, write_chunk
from lampdesk.conversations import EXPORT_FORMATS, Chat, TemporaryChat, ThreadAnswer

CHAT_HELP = (
    "Type a question and press Enter; the answer streams. Ctrl-C stops an answer. Commands: "
    "/new (a new conversation), /quit (or Ctrl-D)."
)


def add_thread_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--thread", type=int, metavar="ID", help="continue conversation ID")
    where.add_argument("--new", action="store_true", help="start a new conversation (the default)")
    where.add_argument(
        "--temporary",
        action="store_true",
        help="a temporary chat: uses the profile, stores nothing, teaches the memory nothing",
    )


def print_thread_note(answer: ThreadAnswer) -> None:
    """Where the exchange went, and what the budget left out (on stderr, after the answer)."""
    result = answer.result
    if result.cancelled:
        print("(answer stopped)", file=sys.stderr)
    if answer.thread_id is None:
        print("(temporary chat: nothing was stored)", file=sys.stderr)
    else:
        print(f"(conversation {answer.thread_id})", file=sys.stderr)


def register(commands: Any) -> None:
    chat = commands.add_parser("chat", help="talk in a conversation (interactive)")
    chat.add_argument("--thread", type=int, metavar="ID", help="continue conversation ID")
    chat.add_argument("--temporary", action="store_true", help="store nothing of this chat")
    chat.set_defaults(handler=run_chat)

    thread = commands.add_parser("thread", help="conversations: list, show, search, export...")
    actions = thread.add_subparsers(dest="thread_command", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="conversations, newest first")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_threads)
    show = actions.add_parser("show", help="a conversation's exchanges")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_thread)
    rename = actions.add_parser("rename", help="give a conversation a title")
    rename.add_argument("id", type=int)
    rename.add_argument("title", nargs="+")
    rename.set_defaults(handler=rename_thread)
    delete = actions.add_parser("delete", help="delete a conversation and its text")
    delete.add_argument("id", type=int)
    delete.set_defaults(handler=delete_thread)
    export = actions.add_parser(
        "export", help="a conversation as Markdown or JSON, on stdout (redirect it to a file)"
    )
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=EXPORT_FORMATS, default="markdown")
    export.set_defaults(handler=export_thread)
    search = actions.add_parser("search", help="find exchanges holding all these words")
    search.add_argument("words", nargs="+")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=search_threads)


def _chat(ctx: Context) -> Chat:
    return Chat(ctx.session().assistant)


def list_threads(ctx: Context, args: argparse.Namespace) -> int:
    threads = _chat(ctx).conversations.threads()
    if args.json:
        print_json([t.as_json() for t in threads])
        return 0
    if not threads:
        print("No conversations yet ('lampdesk chat' or 'lampdesk ask' starts one).")
    for t in threads:
        turns = f"{t.turns} exchange{'s' if t.turns != 1 else ''}"
        print(f"{t.id:>5}  {t.updated_at[:16].replace('T', ' ')}  {t.title}  ({turns})")
    return 0


def show_thread(ctx: Context, args: argparse.Namespace) -> int:
    conversations = _chat(ctx).conversations
    thread, turns = conversations.thread(args.id), conversations.turns(args.id)
    if args.json:
        print_json({**thread.as_json(), "messages": [t.as_json() for t in turns]})
        return 0
    print(f"{thread.title}  (conversation {thread.id}, model {thread.model or 'unknown'})")
    for turn in turns:
        print(f"\n[{turn.created_at[:16].replace('T', ' ')}] You: {turn.question}")
        print(f"LampDesk: {turn.answer}")
        if turn.stopped_by == "length":
            print("(stopped at the answer length limit)")
    return 0


def rename_thread(ctx: Context, args: argparse.Namespace) -> int:
    thread = _chat(ctx).conversations.rename(args.id, " ".join(args.title))
    print(f"Conversation {thread.id} is now titled {thread.title!r}.")
    return 0


def delete_thread(ctx: Context, args: argparse.Namespace) -> int:
    turns = _chat(ctx).conversations.delete(args.id)
    print(f"Deleted conversation {args.id} and its {turns} exchange(s).")
    return 0


def export_thread(ctx: Context, args: argparse.Namespace) -> int:
    sys.stdout.write(_chat(ctx).conversations.export(args.id, args.format))
    return 0


def search_threads(ctx: Context, args: argparse.Namespace) -> int:
    hits = _chat(ctx).conversations.search(" ".join(args.words))
    if args.json:
        print_json([h.as_json() for h in hits])
        return 0
    if not hits:
        print("Nothing found.")
    for hit in hits:
        print(f"{hit.thread_id:>5}  {hit.title}\n       {hit.snippet}")
    return 0


def run_chat(ctx: Context, args: argparse.Namespace) -> int:
    with contextlib.suppress(ImportError):  # not on every platform
        import readline  # noqa: F401  (line editing and history for input())
    chat = _chat(ctx)
    thread_id: int | None = args.thread
    temporary = TemporaryChat() if args.temporary else None
    if thread_id is not None:
        for turn in chat.conversations.turns(chat.conversations.thread(thread_id).id)[-3:]:
            print(f"You: {turn.question}\nLampDesk: {turn.answer}\n")
    print(CHAT_HELP, file=sys.stderr)
    while True:
        try:
            question = input("You: ").strip()
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            thread_id = None
            temporary = TemporaryChat() if args.temporary else None
            print("(a new conversation)", file=sys.stderr)
            continue
        if not question:
            continue
        answer = _answer(chat, question, thread_id, temporary)
        thread_id = answer.thread_id
        for warning in answer.result.warnings:
            print(f"lampdesk: note: {warning}", file=sys.stderr)


def _answer(
    chat: Chat, question: str, thread_id: int | None, temporary: TemporaryChat | None
) -> ThreadAnswer:
    def work(cancel: threading.Event) -> ThreadAnswer:
        return chat.ask(
            question, thread_id=thread_id, temporary=temporary, on_chunk=write_chunk, cancel=cancel
        )

    sys.stdout.write("LampDesk: ")
    try:
        return run_cancellable(work, name="lampdesk-chat")
    finally:
        print("\n")
