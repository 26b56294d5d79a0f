"""``lampdesk serve``: the personal API on loopback."""

from __future__ import annotations

import argparse
from typing import Any

from lampdesk.cli.context import Context


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="an OpenAI-compatible API on this computer only (127.0.0.1), with a token"
    )
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765)
    serve.set_defaults(handler=serve_api)


def serve_api(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.api.server import check_loopback, serve
    from lampdesk.api.token import api_token
    from lampdesk.cli import resident_runner

    check_loopback(args.host)
    token = api_token(ctx.paths)
    print(f"LampDesk API on http://{args.host}:{args.port}/v1 (profile {ctx.profile_name!r})")
    print(f"Bearer token: {token}")
    print("Ctrl-C stops it.", flush=True)
    serve(ctx.app, ctx.profile_name, args.host, args.port, token, resident_runner)
    return 0
