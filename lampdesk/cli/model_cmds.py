"""``lampdesk model list|add|use|remove|config``: the GGUF models LampDesk can answer with, and
how the one in use is loaded (``catalog|download|proxy``: see :mod:`download_cmds`)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from lampdesk.cli import download_cmds
from lampdesk.cli.context import Context, print_json
from lampdesk.errors import UsageError
from lampdesk.inference.models import EngineOptions, ModelInfo, ModelRegistry


def register(commands: Any) -> None:
    model = commands.add_parser("model", help="the GGUF models LampDesk can use")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="list models (the active one is marked with *)")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_models)
    add = actions.add_parser("add", help="import a local GGUF file (checked before use)")
    add.add_argument("path", type=Path)
    add.add_argument("--name")
    add.set_defaults(handler=add_model)
    use = actions.add_parser("use", help="answer with this model from now on")
    use.add_argument("name")
    use.set_defaults(handler=use_model)
    remove = actions.add_parser("remove", help="forget a model (its file is left alone)")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_model)
    config = actions.add_parser(
        "config", help="threads and context length (show, or set: threads=4 context=4096)"
    )
    config.add_argument(
        "assignments", nargs="*", metavar="KEY=VALUE", help="threads=N|auto, context=N"
    )
    config.add_argument("--json", action="store_true")
    config.set_defaults(handler=model_config)
    download_cmds.register_actions(actions)


def _describe(info: ModelInfo, active: bool) -> str:
    mark = "*" if active else " "
    context = info.context_length or "?"
    template = "chat template" if info.chat_template else "no chat template (ChatML assumed)"
    origin = "embedded" if info.embedded else info.path
    size = info.size_bytes / 1e6
    return f"{mark} {info.name:<20} {size:>8.1f} MB  ctx {context:<6} {template}  {origin}"


def list_models(ctx: Context, args: argparse.Namespace) -> int:
    registry = ModelRegistry(ctx.paths)
    active = registry.active().name
    models = registry.models()
    if args.json:
        print_json([{**m.as_json(), "active": m.name == active} for m in models])
        return 0
    for info in models:
        print(_describe(info, info.name == active))
    return 0


def add_model(ctx: Context, args: argparse.Namespace) -> int:
    info = ModelRegistry(ctx.paths).add(args.path.expanduser(), args.name)
    print("Added:")
    print(_describe(info, False))
    print(f"Use it with: lampdesk model use {info.name!r}")
    return 0


def use_model(ctx: Context, args: argparse.Namespace) -> int:
    if ctx.resident:  # a running LampDesk: it loads the model now, for its next question
        info = ctx.app.use_model(args.name)
        print(f"LampDesk now answers with {info.name} (loaded in the running LampDesk).")
        return 0
    info = ModelRegistry(ctx.paths).use(args.name)
    print(f"LampDesk now answers with {info.name}.")
    return 0


def remove_model(ctx: Context, args: argparse.Namespace) -> int:
    ModelRegistry(ctx.paths).remove(args.name)
    print(f"Removed {args.name} from the list (the file itself was not touched).")
    return 0


def _with(options: EngineOptions, assignment: str) -> EngineOptions:
    key, _, value = assignment.partition("=")
    key, value = key.strip(), value.strip()
    if key not in ("threads", "context"):
        raise UsageError(f"Unknown model setting {key!r}; known: threads, context.")
    if key == "threads" and value == "auto":
        return dataclasses.replace(options, threads=None)
    if not value.isdigit():
        raise UsageError(
            f"{key} is a whole number{' or auto' if key == 'threads' else ''}, not {value!r}."
        )
    if key == "threads":
        return dataclasses.replace(options, threads=int(value))
    return dataclasses.replace(options, context_length=int(value))


def model_config(ctx: Context, args: argparse.Namespace) -> int:
    registry = ModelRegistry(ctx.paths)
    options = registry.options()
    if args.assignments:
        for assignment in args.assignments:
            options = _with(options, assignment)
        options = registry.set_options(options)
    if args.json:
        print_json(options.as_json())
        return 0
    print(f"threads={options.threads or 'auto'}")
    print(f"context={options.context_length}")
    if args.assignments:
        print("Used from the next start of LampDesk.")
    return 0
