"""The ``lampdesk`` command: every capability of the core, scriptable, ``--json`` where useful.

``lampdesk`` alone opens the desktop window; every sub-command runs headless. Each module in
:data:`COMMAND_MODULES` adds its sub-commands through ``register(commands)`` and sets a
``handler(ctx, args) -> int`` on each parser.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from lampdesk import __version__
from lampdesk.cli import ask_cmds, eval_cmds, memory_cmds, profile_cmds
from lampdesk.cli.context import Context
from lampdesk.errors import LampdeskError
from lampdesk.vault.profiles import DEFAULT_PROFILE

EXIT_BUG = 70
ENV_PROFILE = "LAMPDESK_PROFILE"
COMMAND_MODULES = (profile_cmds, memory_cmds, ask_cmds, eval_cmds)


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
    for module in COMMAND_MODULES:
        module.register(commands)
    commands.add_parser("gui", help="open the desktop window (the default)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # everything LampDesk writes is for this user only
    args = build_parser().parse_args(argv)
    if args.command in (None, "gui"):
        from lampdesk.ui.main_window import run_gui

        return run_gui(args.data_dir, args.profile)
    ctx = Context(args.data_dir, args.profile)
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
