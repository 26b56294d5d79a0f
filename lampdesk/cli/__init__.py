"""The ``lampdesk`` command: every capability of the core, scriptable, ``--json`` where useful.

``lampdesk`` alone opens the desktop window; every sub-command runs headless. Each module in
:data:`COMMAND_MODULES` adds its sub-commands through ``register(commands)`` and sets a
``handler(ctx, args) -> int`` on each parser; :mod:`lampdesk.cli.plugins` adds the commands of
plugins (the benchmarks and evaluations) the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from lampdesk import __version__
from lampdesk.cli import (
    api_cmds,
    ask_cmds,
    constraint_cmds,
    desktop_cmds,
    inference_cmds,
    memory_cmds,
    model_cmds,
    plugins,
    profile_cmds,
    source_cmds,
    thread_cmds,
    vault_cmds,
)
from lampdesk.cli.context import Context
from lampdesk.errors import LampdeskError
from lampdesk.hardening import wipe_freed_memory
from lampdesk.paths import DataPaths
from lampdesk.vault.profiles import ENV_PROFILE, resolve_profile_name

if TYPE_CHECKING:
    from lampdesk.app import LampDesk
    from lampdesk.resident import CommandRunner

EXIT_BUG = 70
COMMAND_MODULES = (
    profile_cmds,
    vault_cmds,
    memory_cmds,
    ask_cmds,
    inference_cmds,
    model_cmds,
    api_cmds,
    desktop_cmds,
    source_cmds,
    constraint_cmds,
    thread_cmds,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lampdesk",
        description="LampDesk: a personal assistant that runs entirely on this computer. "
        "Without a command, opens the desktop window.",
    )
    parser.add_argument("--version", action="version", version=f"LampDesk {__version__}")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start the window, stream one answer, open quick ask, quit; print one JSON line "
        "(uses a temporary data directory unless --data-dir is given)",
    )
    parser.add_argument("--screenshot", metavar="PNG", help="with --smoke: save the window")
    parser.add_argument(
        "--minimized", action="store_true", help="start in the tray (used by autostart)"
    )
    parser.add_argument("--data-dir", help="where profiles live (default: per-user data dir)")
    parser.add_argument(
        "--profile",
        default=None,
        help=f"the profile to use (default: ${ENV_PROFILE}, else the one chosen with "
        "'profile use', else 'default')",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    plugins.register(commands)  # eval, bench: lampdesk.evals.commands
    commands.add_parser("gui", help="open the desktop window (the default)")
    return parser


#: Commands a running LampDesk runs for ``lampdesk`` in a terminal, with its loaded models and
#: open profile. The others start or measure processes, read files or the terminal's own
#: environment (export and import passphrases, paths relative to the terminal), or change keys.
FORWARDED = frozenset(
    {"ask", "remember", "memory", "history", "rule", "log", "settings", "constraint", "thread"}
)
FORWARDED_ACTIONS = {
    "profile": {"set", "unset", "show", "list"},
    "template": {"show", "reset"},
    "model": {"use"},  # the running LampDesk loads it now (a restart is not needed)
}
ENV_NO_RESIDENT = "LAMPDESK_NO_RESIDENT"


def forwardable(args: argparse.Namespace) -> bool:
    if args.smoke:
        return False
    if args.command in FORWARDED:
        return True
    action = getattr(args, f"{args.command}_command", None)
    return action in FORWARDED_ACTIONS.get(args.command, set())


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    os.umask(0o077)  # everything LampDesk writes is for this user only
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    paths = DataPaths.resolve(args.data_dir)
    try:
        profile = resolve_profile_name(paths, args.profile)
    except LampdeskError as exc:
        print(f"lampdesk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if forwardable(args) and not os.environ.get(ENV_NO_RESIDENT):
        from lampdesk.resident import forward

        # The profile is decided here, from this process's environment and flags.
        forwarded = forward(paths, ["--profile", profile, *argv])
        if forwarded is not None:
            return forwarded
    if args.smoke:
        from lampdesk.ui.smoke import run_smoke

        return run_smoke(args.data_dir, profile, started, args.screenshot, commands=resident_runner)
    if args.command in (None, "gui"):
        from lampdesk.ui.main_window import run_gui

        return run_gui(args.data_dir, profile, minimized=args.minimized, commands=resident_runner)
    return run_command(Context(args.data_dir, profile), args)


def run_command(ctx: Context, args: argparse.Namespace) -> int:
    """Run a parsed command: known errors become one line and an exit code, bugs a traceback."""
    try:
        return int(args.handler(ctx, args))
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
    finally:
        ctx.close()


def resident_runner(app: LampDesk) -> CommandRunner:
    """What a resident LampDesk (the window, ``serve``) runs for ``lampdesk`` commands."""
    held: set[str] = set()  # profiles kept open between commands (closed with the app)

    def run(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                args = build_parser().parse_args(list(argv))
            except SystemExit as exc:  # argparse has printed why
                return int(exc.code or 0)
            if not forwardable(args):
                print("lampdesk: error: run this command directly, not through the app.", file=err)
                return 2
            profile = resolve_profile_name(app.paths, args.profile)
            return run_command(Context(None, profile, app=app, held=held), args)

    return run


#: Modules whose interpreter teardown costs more than the command itself (measured: ~1.4 s
#: after an ``ask`` that loaded torch, Chroma and llama.cpp).
_SLOW_TO_TEAR_DOWN = ("torch", "chromadb", "llama_cpp")


def entry() -> None:
    """The ``lampdesk`` console script: :func:`main`, then a quick exit.

    By the time :func:`main` returns, every profile, index and model it opened is closed (the
    database committed, Chroma's writes in its own log), so when heavy libraries were loaded the
    process ends at once instead of spending a second tearing them down.
    """
    wipe_freed_memory()
    code = main()
    if any(name in sys.modules for name in _SLOW_TO_TEAR_DOWN):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
