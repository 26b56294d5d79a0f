"""The ``lampdesk`` command: every capability of the core, scriptable, ``--json`` where useful.

``lampdesk`` alone opens the desktop window; every sub-command runs headless.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

from lampdesk import __version__
from lampdesk.errors import KeyUnavailableError, LampdeskError
from lampdesk.paths import DataPaths
from lampdesk.vault.profiles import DEFAULT_PROFILE

EXIT_BUG = 70
ENV_PROFILE = "LAMPDESK_PROFILE"


def terminal_prompt(what: str, confirm: bool) -> str:
    """Ask for a passphrase on the terminal (never echoed)."""
    if not sys.stdin.isatty():
        raise KeyUnavailableError(
            f"{what} is needed, but there is no terminal to ask in: set LAMPDESK_PASSPHRASE."
        )
    passphrase = getpass.getpass(f"{what}: ")
    if confirm and getpass.getpass("Repeat it: ") != passphrase:
        raise KeyUnavailableError("The two passphrases differ; nothing was created.")
    return passphrase


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lampdesk",
        description="LampDesk: a personal assistant that runs entirely on this computer. "
        "Without a command, opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"LampDesk {__version__}")
    parser.add_argument("--data-dir", help="where profiles live (default: per-user data dir)")
    parser.add_argument(
        "--profile",
        default=os.environ.get(ENV_PROFILE, DEFAULT_PROFILE),
        help="the profile to use (default: %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    profile = commands.add_parser("profile", help="see and change the profile's attributes")
    profile_commands = profile.add_subparsers(
        dest="profile_command", metavar="ACTION", required=True
    )
    set_ = profile_commands.add_parser("set", help="set attributes: key=value ...")
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    unset = profile_commands.add_parser("unset", help="remove attributes")
    unset.add_argument("keys", nargs="+", metavar="KEY")
    show = profile_commands.add_parser("show", help="show attributes and memories")
    show.add_argument("--json", action="store_true")
    profile_commands.add_parser("list", help="list the profiles of this installation")

    remember = commands.add_parser("remember", help="tell LampDesk a fact about you")
    remember.add_argument("text", nargs="+")

    memory = commands.add_parser("memory", help="what LampDesk remembers")
    memory_commands = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    memory_list = memory_commands.add_parser("list", help="list memories")
    memory_list.add_argument("--json", action="store_true")
    forget = memory_commands.add_parser("forget", help="forget a memory by id")
    forget.add_argument("id", type=int)

    ask = commands.add_parser("ask", help="ask a question; the answer streams")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ask.add_argument(
        "--no-personalize", action="store_true", help="answer from the bare model (baseline)"
    )
    ask.add_argument("--max-tokens", type=int, default=256)
    ask.add_argument("--temperature", type=float, default=0.3)

    history = commands.add_parser("history", help="past questions and answers")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")

    commands.add_parser("gui", help="open the desktop window (the default)")
    return parser


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _run(args: argparse.Namespace) -> int:
    from lampdesk.app import LampDesk

    paths = DataPaths.resolve(args.data_dir)
    app = LampDesk(paths, prompt=terminal_prompt)
    if args.command == "profile" and args.profile_command == "list":
        for entry in app.vault.registry.entries():
            print(f"{entry.name}\t{entry.key_mode.value}\t{entry.created_at}")
        return 0

    session = app.open(args.profile, create=True)
    try:
        if args.command == "profile":
            return _profile_command(session, args)
        if args.command == "remember":
            memory = session.assistant.remember(" ".join(args.text))
            print(f"Remembered (memory {memory.id}).")
            return 0
        if args.command == "memory":
            return _memory_command(session, args)
        if args.command == "history":
            rows = session.profile.interactions(args.limit)
            if args.json:
                _print_json(rows)
            for row in [] if args.json else reversed(rows):
                print(f"[{row['created_at']}] Q: {row['question']}\n  A: {row['answer']}")
            return 0
        if args.command == "ask":
            return _ask_command(session, args)
        raise AssertionError(f"unhandled command {args.command}")
    finally:
        session.close()


def _profile_command(session: Any, args: argparse.Namespace) -> int:
    from lampdesk.profile import parse_attribute

    profile = session.profile
    if args.profile_command == "set":
        profile.set_attributes([parse_attribute(a) for a in args.assignments])
        print(f"Profile {session.entry.name!r} updated.")
    elif args.profile_command == "unset":
        removed = profile.unset_attributes([k.lower() for k in args.keys])
        print(f"Removed {removed} attribute(s).")
    elif args.profile_command == "show":
        data = {
            "profile": session.entry.name,
            "key": session.entry.key_mode.value,
            "attributes": profile.attributes(),
            "memories": [{"id": m.id, "text": m.text} for m in profile.memories()],
        }
        if args.json:
            _print_json(data)
        else:
            print(f"Profile {data['profile']} (protected by {data['key']})")
            for key, value in data["attributes"].items():
                print(f"  {key} = {value}")
            for memory in data["memories"]:
                print(f"  [{memory['id']}] {memory['text']}")
    return 0


def _memory_command(session: Any, args: argparse.Namespace) -> int:
    profile = session.profile
    if args.memory_command == "list":
        memories = profile.memories()
        if args.json:
            _print_json([m.__dict__ for m in memories])
        for memory in [] if args.json else memories:
            print(f"[{memory.id}] {memory.text}  ({memory.created_at})")
        return 0
    if not profile.forget(args.id):
        raise LampdeskError(f"There is no memory {args.id}.")
    session.assistant.index()
    print(f"Forgot memory {args.id}.")
    return 0


def _ask_command(session: Any, args: argparse.Namespace) -> int:
    from lampdesk.inference.engine import GenerationSettings

    settings = GenerationSettings(max_tokens=args.max_tokens, temperature=args.temperature)
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def write(chunk: str) -> None:
        sys.stdout.write(chunk)
        sys.stdout.flush()

    def work() -> None:
        try:
            outcome["result"] = session.assistant.ask(
                " ".join(args.question),
                personalize=not args.no_personalize,
                on_chunk=None if args.json else write,
                cancel=cancel,
                settings=settings,
            )
        except BaseException as exc:
            outcome["error"] = exc

    # Generation runs in a thread so that Ctrl-C cancels between tokens and the answer so far
    # is still recorded.
    worker = threading.Thread(target=work, name="lampdesk-ask", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cancel.set()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if args.json:
        _print_json(result.as_json())
        return 0
    print()
    if result.items:
        used = ", ".join(f"#{item.id}" for item in result.items)
        print(f"(personalised with your profile; memories used: {used})", file=sys.stderr)
    elif result.note:
        print(f"({result.note})", file=sys.stderr)
    return 130 if result.cancelled else 0


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # everything LampDesk writes is for this user only
    args = build_parser().parse_args(argv)
    if args.command in (None, "gui"):
        from lampdesk.ui.main_window import run_gui

        return run_gui(args.data_dir, args.profile)
    try:
        return _run(args)
    except LampdeskError as exc:
        print(f"lampdesk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lampdesk: interrupted", file=sys.stderr)
        return 130
    except Exception:
        print("lampdesk: internal error (this is a bug; please report it):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_BUG
