"""``lampdesk rule ...`` and ``lampdesk log``."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.errors import LampdeskError, UsageError
from lampdesk.prompting.templates import parse_template


def register(commands: Any) -> None:
    rule = commands.add_parser("rule", help="rules every answer follows")
    actions = rule.add_subparsers(dest="rule_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a rule, optionally with blocked terms")
    add.add_argument("text", nargs="*", help='e.g. "Never suggest meat"')
    add.add_argument(
        "--block",
        default="",
        metavar="TERM[,TERM...]",
        help="terms that must never appear in an answer (enforced on the stream)",
    )
    add.set_defaults(handler=add_rule)
    list_ = actions.add_parser("list", help="list rules")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_rules)
    remove = actions.add_parser("remove", help="remove a rule by id")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=remove_rule)

    template = commands.add_parser("template", help="the profile's prompt template")
    template_actions = template.add_subparsers(
        dest="template_command", metavar="ACTION", required=True
    )
    template_actions.add_parser("show", help="print the template in use").set_defaults(
        handler=show_template
    )
    set_template = template_actions.add_parser("set", help="use a TOML template file")
    set_template.add_argument("file", type=Path)
    set_template.set_defaults(handler=set_template_file)
    template_actions.add_parser("reset", help="go back to the default").set_defaults(
        handler=reset_template
    )

    settings = commands.add_parser("settings", help="the profile's generation settings")
    settings_actions = settings.add_subparsers(
        dest="settings_command", metavar="ACTION", required=True
    )
    settings_actions.add_parser("show", help="print them").set_defaults(handler=show_settings)
    set_settings = settings_actions.add_parser("set", help="key=value ... (e.g. temperature=0.5)")
    set_settings.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    set_settings.set_defaults(handler=set_generation_settings)

    log = commands.add_parser("log", help="what each request cost (no question or answer text)")
    log.add_argument("--limit", type=int, default=20)
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=show_log)


def add_rule(ctx: Context, args: argparse.Namespace) -> int:
    terms = [t for t in args.block.split(",") if t.strip()]
    rule = ctx.session().profile.add_rule(" ".join(args.text), terms)
    print(f"Added rule {rule.id} (see it with: lampdesk rule list).")
    return 0


def list_rules(ctx: Context, args: argparse.Namespace) -> int:
    rules = ctx.session().profile.rules()
    if args.json:
        print_json([rule.as_json() for rule in rules])
        return 0
    for rule in rules:
        blocked = f"  (blocks: {', '.join(rule.blocked_terms)})" if rule.blocked_terms else ""
        print(f"[{rule.id}] {rule.text}{blocked}")
    return 0


def remove_rule(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.session().profile.remove_rule(args.id):
        raise LampdeskError(f"There is no rule {args.id}.")
    print(f"Removed rule {args.id}.")
    return 0


def show_template(ctx: Context, args: argparse.Namespace) -> int:
    print(ctx.session().template_text(), end="")
    return 0


def set_template_file(ctx: Context, args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the template {args.file}: {exc}") from exc
    parse_template(text, args.file.name)  # refuse a bad template, naming its file
    ctx.session().set_template(text)
    print(f"The profile now uses the template {args.file.name}.")
    return 0


def reset_template(ctx: Context, args: argparse.Namespace) -> int:
    ctx.session().set_template(None)
    print("The profile uses the default template again.")
    return 0


def show_settings(ctx: Context, args: argparse.Namespace) -> int:
    for key, value in asdict(ctx.session().generation()).items():
        print(f"{key} = {value}")
    return 0


def set_generation_settings(ctx: Context, args: argparse.Namespace) -> int:
    pairs = dict(a.partition("=")[::2] for a in args.assignments)
    ctx.session().set_generation(pairs)  # all checked before any is stored
    print("Generation settings updated.")
    return 0


def show_log(ctx: Context, args: argparse.Namespace) -> int:
    entries = ctx.session().profile.request_log(args.limit)
    if args.json:
        print_json(entries)
        return 0
    print("request       when                       prompt  reused  ttft ms  tok/s  tokens  cut")
    for e in reversed(entries):
        ttft = f"{e['ttft_ms']:.0f}" if e["ttft_ms"] is not None else "-"
        rate = f"{e['tok_per_s']:.0f}" if e["tok_per_s"] else "-"
        cut = ",".join(c["what"] for c in e["cut"]) or "-"
        print(
            f"{e['request_id'] or e['id']:<13} {e['created_at']:<26} {e['prompt_tokens']:>6} "
            f"{e['reused_tokens']:>7} {ttft:>8} {rate:>6} {e['tokens']:>7}  {cut}"
        )
    return 0
