"""``lampdesk rule ...``, ``lampdesk log`` and ``lampdesk bench inference``."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.cli.eval_cmds import add_bench_retrieval
from lampdesk.cli.memory_cmds import add_bench_memory
from lampdesk.cli.source_cmds import add_bench_sources
from lampdesk.errors import LampdeskError, UsageError
from lampdesk.prompting.templates import TEMPLATE_SETTING, default_template_text, parse_template


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

    bench = commands.add_parser("bench", help="benchmarks: commands that measure")
    benches = bench.add_subparsers(dest="bench_command", metavar="WHAT", required=True)
    add_bench_inference(benches)
    add_bench_retrieval(benches)
    add_bench_memory(benches)
    add_bench_sources(benches)
    cli_bench = benches.add_parser(
        "cli", help="wall time and memory: llm (peer) vs lampdesk ask, cold and resident"
    )
    cli_bench.add_argument("--json", action="store_true")
    cli_bench.set_defaults(handler=bench_cli)


def add_bench_inference(benches: Any) -> None:
    inference = benches.add_parser(
        "inference", help="time to first token: raw llama.cpp vs LampDesk, side by side"
    )
    inference.add_argument("--max-tokens", type=int, default=64)
    inference.add_argument("--rounds", type=int, default=3, help="medians over this many")
    inference.add_argument("--json", action="store_true")
    inference.set_defaults(handler=bench_inference)


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
    own = ctx.session().profile.setting(TEMPLATE_SETTING)
    print(own if own else default_template_text(), end="")
    return 0


def set_template_file(ctx: Context, args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the template {args.file}: {exc}") from exc
    parse_template(text, args.file.name)  # refuse a bad template before storing it
    ctx.session().profile.set_setting(TEMPLATE_SETTING, text)
    print(f"The profile now uses the template {args.file.name}.")
    return 0


def reset_template(ctx: Context, args: argparse.Namespace) -> int:
    ctx.session().profile.set_setting(TEMPLATE_SETTING, None)
    print("The profile uses the default template again.")
    return 0


def show_settings(ctx: Context, args: argparse.Namespace) -> int:
    for key, value in asdict(ctx.session().assistant.generation_settings()).items():
        print(f"{key} = {value}")
    return 0


def set_generation_settings(ctx: Context, args: argparse.Namespace) -> int:
    pairs = dict(a.partition("=")[::2] for a in args.assignments)
    session = ctx.session()
    session.assistant.generation_settings(**pairs)  # validate all before storing any
    for key, value in pairs.items():
        session.profile.set_setting(f"gen.{key}", value)
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


def bench_inference(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.inference_bench import RUNS, run

    report = run(max_tokens=args.max_tokens, rounds=args.rounds)
    if args.json:
        print_json(report)
        return 0
    print(
        f"model {report['model']}, {report['threads']} threads, {args.max_tokens} tokens, "
        f"medians of {report['rounds']} rounds"
    )
    print(f"{'run':<24}{'ttft ms':>10}{'prompt':>8}{'reused':>8}{'tok/s':>8}")
    for name in RUNS:
        r = report[name]
        print(
            f"{name:<24}{r['ttft_ms']:>10.0f}{r['prompt_tokens']:>8}"
            f"{r.get('reused_tokens', 0):>8}{r['tok_per_s']:>8.1f}"
        )
    for key, value in report["ratios"].items():
        print(f"{key}: {value:.2f}x")
    return 0


def bench_cli(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.cli_bench import run

    report = run()
    if args.json:
        print_json(report)
        return 0
    print(f"{'command':<20}{'wall s':>8}{'peak RSS MB':>13}{'tokens':>8}{'ms/token':>10}")
    for name in ("peer", "lampdesk_cold", "lampdesk_resident"):
        r = report[name]
        print(
            f"{name:<20}{r['wall_s']:>8.2f}{r['peak_rss_mb']:>13.0f}"
            f"{r['answer_tokens']:>8}{r['ms_per_answer_token']:>10.1f}"
        )
    for key, value in report["ratios"].items():
        print(f"{key}: {value:.2f}x")
    return 0
