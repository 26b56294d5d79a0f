"""Commands from plugins: modules named by the entry points of the group ``lampdesk.plugins``.

Each plugin module has ``register(commands)``, like the modules of
:data:`lampdesk.cli.COMMAND_MODULES`. The benchmarks and evaluations are one (``evals =
"lampdesk.evals.commands"`` in pyproject.toml), so the product never imports :mod:`lampdesk.evals`.
A plugin that is missing or fails to load does not break the other commands: its commands answer
with one line saying why they are unavailable.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from lampdesk.cli.context import Context
from lampdesk.errors import LampdeskError

GROUP = "lampdesk.plugins"
#: The commands each known plugin adds, so that they answer clearly when it is not there.
KNOWN = {"evals": ("eval", "bench")}


class PluginUnavailableError(LampdeskError):
    """A command whose plugin is not installed or could not be loaded."""


@dataclass(frozen=True)
class Failure:
    plugin: str
    reason: str


def register(commands: Any, points: Iterable[EntryPoint] | None = None) -> list[Failure]:
    """Add every plugin's commands to ``commands`` (argparse sub-parsers); return what failed.

    ``points`` are the installed entry points of :data:`GROUP` unless given.
    """
    failures: list[Failure] = []
    loaded: set[str] = set()
    found = entry_points(group=GROUP) if points is None else points
    for point in sorted(found, key=lambda p: p.name):
        try:
            module = point.load()
            module.register(commands)
        except Exception as exc:  # a plugin's own bug must not take the whole CLI down
            failures.append(Failure(point.name, f"{type(exc).__name__}: {exc}"))
        else:
            loaded.add(point.name)
    for name, names in KNOWN.items():
        if name in loaded:
            continue
        failure = next((f for f in failures if f.plugin == name), None)
        reason = failure.reason if failure else "it is not installed"
        for command in names:
            if command not in commands.choices:
                _unavailable(commands, command, name, reason)
    return failures


def _unavailable(commands: Any, command: str, plugin: str, reason: str) -> None:
    parser = commands.add_parser(command, help=f"(unavailable: the {plugin!r} plugin)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    message = (
        f"'{command}' comes from the plugin {plugin!r} (entry point group {GROUP!r}), "
        f"which could not be loaded ({reason}). Reinstall LampDesk to get it back."
    )

    def handler(ctx: Context, args: argparse.Namespace) -> int:
        raise PluginUnavailableError(message)

    parser.set_defaults(handler=handler)
