"""``lampdesk autostart on|off|status``: start at login, minimised to the tray."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from lampdesk.cli.context import Context
from lampdesk.paths import atomic_write, autostart_file

ENTRY = """[Desktop Entry]
Type=Application
Name=LampDesk
Comment=A personal assistant that runs entirely on this computer
Exec={exec_line}
Icon=lampdesk
Terminal=false
X-GNOME-Autostart-enabled=true
"""


def register(commands: Any) -> None:
    autostart = commands.add_parser("autostart", help="start LampDesk at login, in the tray")
    autostart.add_argument("state", choices=["on", "off", "status"])
    autostart.set_defaults(handler=set_autostart)


def program_command() -> list[str]:
    """How to start this LampDesk again: the bundle's own executable, else this Python."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: sys.executable is LampDesk itself
        return [sys.executable]
    return [sys.executable, "-m", "lampdesk"]


def set_autostart(ctx: Context, args: argparse.Namespace) -> int:
    path = autostart_file()
    if args.state == "status":
        print(f"Autostart is {'on' if path.exists() else 'off'} ({path}).")
        return 0
    if args.state == "off":
        path.unlink(missing_ok=True)
        print("LampDesk will not start at login.")
        return 0
    exec_line = " ".join(
        shlex.quote(part) for part in [*program_command(), "--data-dir", str(ctx.paths.root)]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, ENTRY.format(exec_line=exec_line + " --minimized"))
    path.chmod(0o644)
    print(f"LampDesk will start at login, minimised to the tray ({path}).")
    return 0
