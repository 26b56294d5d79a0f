"""The benchmark and evaluation commands (``lampdesk eval ...``, ``lampdesk bench ...``).

A plugin of the ``lampdesk`` command: the entry point ``evals`` of the group ``lampdesk.plugins``
(see :mod:`lampdesk.cli.plugins`) names this module, whose :func:`register` adds the commands.
Product code never imports :mod:`lampdesk.evals`; only this plugin reaches it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.cli.source_cmds import ProgressLine
from lampdesk.errors import UsageError
from lampdesk.evals import progress

#: The commands this plugin adds (named by :mod:`lampdesk.cli.plugins` when it cannot load).
COMMANDS = ("eval", "bench")


def _sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from exc
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("give one or more positive numbers, e.g. 256,512,1024")
    return values


def register(commands: Any) -> None:
    register_eval(commands)
    register_bench(commands)


def register_eval(commands: Any) -> None:
    eval_ = commands.add_parser("eval", help="measure quality on a data set")
    evals = eval_.add_subparsers(dest="eval_command", metavar="WHAT", required=True)
    retrieval = evals.add_parser(
        "retrieval", help="recall of evidence turns on LoCoMo-format conversations"
    )
    retrieval.add_argument("--data", required=True, help="a folder of LoCoMo-format .json files")
    retrieval.add_argument("--budgets", type=_sizes, default=[256, 512, 1024])
    retrieval.add_argument("--json", action="store_true", help="print one JSON object")
    retrieval.set_defaults(handler=eval_retrieval)
    answers = evals.add_parser(
        "answers", help="token F1 of answers with and without personalisation (LoCoMo)"
    )
    answers.add_argument("--data", required=True, help="a folder of LoCoMo-format .json files")
    answers.add_argument("--sample", type=int, default=100, help="answerable questions to ask")
    answers.add_argument("--model", help="an imported model's name (default: the embedded one)")
    answers.add_argument("--template", default="concise", help="a shipped template's name")
    forced = answers.add_mutually_exclusive_group()
    forced.add_argument(
        "--quote", action="store_true", help="every answer grounded (quoted from the notes)"
    )
    forced.add_argument("--free", action="store_true", help="every answer generated freely")
    answers.add_argument("--verbose", action="store_true", help="print each answer to stderr")
    answers.add_argument("--json", action="store_true", help="print one JSON object")
    answers.set_defaults(handler=eval_answers)
    memory = evals.add_parser(
        "memory", help="precision and recall of what the memory loop learns (utterance files)"
    )
    memory.add_argument("--data", required=True, help="a folder of lampdesk-utterances .json")
    memory.add_argument(
        "--model", help="also let this chat model extract facts (an imported model's name)"
    )
    memory.add_argument(
        "--rules-only", action="store_true", help="the rules alone, without the classifier"
    )
    memory.add_argument("--verbose", action="store_true", help="progress on stderr")
    memory.add_argument("--json", action="store_true", help="print one JSON object")
    memory.set_defaults(handler=eval_memory)
    persona = evals.add_parser(
        "persona", help="do default answers keep to and use each persona's profile?"
    )
    persona.add_argument("--data", required=True, help="a folder of persona .json files")
    persona.add_argument("--model", help="an imported model's name (default: the embedded one)")
    persona.add_argument(
        "--max-tokens", type=int, help="answers' length limit (default: a new profile's)"
    )
    persona.add_argument("--json", action="store_true", help="print one JSON object")
    persona.set_defaults(handler=eval_persona)


def add_bench_retrieval(benches: Any) -> None:
    bench_retrieval = benches.add_parser("retrieval", help="query latency and ingest rate")
    bench_retrieval.add_argument("--items", type=_sizes, default=[1000, 10000, 100000])
    bench_retrieval.add_argument("--queries", type=int, default=100)
    bench_retrieval.add_argument(
        "--baseline-graph",
        type=Path,
        metavar="ONNX",
        help="also run, in the same loop on the same items, the embedding model from this ONNX "
        "graph (scripts/bench_torch_embedder.sh makes the PyTorch export used before)",
    )
    bench_retrieval.add_argument("--json", action="store_true", help="print one JSON object")
    bench_retrieval.set_defaults(handler=bench_retrieval_cmd)


def _progress(message: str) -> None:
    progress.note(message)


def eval_retrieval(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.retrieval import evaluate, print_report
    from lampdesk.retrieval.dense import Embedder
    from lampdesk.retrieval.tokens import VocabTokenCounter

    data = Path(args.data)
    if not data.is_dir():
        raise UsageError(f"{data} is not a folder of LoCoMo .json files.")
    result = evaluate(
        data,
        budgets=args.budgets,
        embedder=Embedder(),
        count_tokens=VocabTokenCounter(),
        progress=_progress,
    )
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def bench_retrieval_cmd(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.bench import print_report, run_bench

    if args.baseline_graph is not None and not args.baseline_graph.is_file():
        raise UsageError(f"No ONNX graph at {args.baseline_graph}.")
    result = run_bench(
        args.items,
        queries=args.queries,
        baseline_graph=args.baseline_graph,
        progress=_progress,
    )
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def eval_answers(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.answers import evaluate, print_report
    from lampdesk.inference.engine import Engine
    from lampdesk.inference.models import ModelRegistry, embedded_model_path
    from lampdesk.prompting.templates import named_template
    from lampdesk.retrieval.dense import Embedder
    from lampdesk.retrieval.tokens import VocabTokenCounter

    data = Path(args.data)
    if not data.is_dir():
        raise UsageError(f"{data} is not a folder of LoCoMo .json files.")
    if args.sample <= 0:
        raise UsageError("--sample must be a positive number of questions.")
    template = named_template(args.template)
    model = (
        Path(ModelRegistry(ctx.paths).get(args.model).path) if args.model else embedded_model_path()
    )
    engine = Engine(model)
    try:
        result = evaluate(
            data,
            n=args.sample,
            engine=engine,
            embedder=Embedder(),
            count_tokens=VocabTokenCounter(model),
            template=template,
            mode="grounded" if args.quote else "free" if args.free else None,
            progress=_progress if args.verbose else None,
        )
    finally:
        engine.close()
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def eval_memory(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.memory_eval import evaluate, print_report
    from lampdesk.inference.engine import Engine
    from lampdesk.inference.models import ModelRegistry
    from lampdesk.retrieval.dense import Embedder

    data = Path(args.data)
    if not data.exists():
        raise UsageError(f"{data} does not exist: give a folder of utterance .json files.")
    engine = Engine(Path(ModelRegistry(ctx.paths).get(args.model).path)) if args.model else None
    try:
        result = evaluate(
            data,
            embedder=None if args.rules_only else Embedder(),
            engine=engine,
            progress=_progress if args.verbose else None,
        )
    finally:
        if engine is not None:
            engine.close()
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def eval_persona(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.persona import evaluate, print_report, read_personas
    from lampdesk.inference.engine import Engine
    from lampdesk.inference.models import ModelRegistry, embedded_model_path

    data = Path(args.data)
    read_personas(data)  # a clear message before any model loads
    if args.max_tokens is not None and args.max_tokens <= 0:
        raise UsageError("--max-tokens must be a positive number of tokens.")
    model = (
        Path(ModelRegistry(ctx.paths).get(args.model).path) if args.model else embedded_model_path()
    )
    engine = Engine(model)
    try:
        result = evaluate(data, engine=engine, max_tokens=args.max_tokens)
    finally:
        engine.close()
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0


def register_bench(commands: Any) -> None:
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


def add_bench_memory(benches: Any) -> None:
    bench = benches.add_parser("memory", help="time to first token with memory on vs off")
    bench.add_argument(
        "--rounds",
        type=int,
        default=8,
        help="a multiple of 4 measures every question as often in each mode (default 8)",
    )
    bench.add_argument(
        "--model-extraction", action="store_true", help="also let the model extract facts"
    )
    bench.add_argument(
        "--reading", type=float, default=1.0, help="seconds between an answer and the next question"
    )
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(handler=bench_memory)


def bench_memory(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.memory_bench import run

    if args.rounds <= 0:
        raise UsageError("--rounds must be positive.")
    result = run(
        rounds=args.rounds, model_extraction=args.model_extraction, reading_s=max(0.0, args.reading)
    )
    if args.json:
        print_json(result)
    else:
        print(
            f"TTFT median: memory on {result['ttft_ms_memory_on']} ms, off "
            f"{result['ttft_ms_memory_off']} ms (ratio {result['ratio_on_vs_off']}); "
            f"{result['memories_learned']} memories learned"
        )
    return 0


def add_bench_sources(benches: Any) -> None:
    bench = benches.add_parser(
        "sources", help="import generated Markdown notes into a throwaway profile, timed"
    )
    bench.add_argument("--files", type=int, default=1000)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(handler=bench_sources)


def bench_sources(ctx: Context, args: argparse.Namespace) -> int:
    from lampdesk.evals.sources_bench import print_report, run

    if args.files <= 0:
        raise UsageError("--files must be a positive number.")
    result = run(args.files, progress=ProgressLine())
    if args.json:
        print_json(result)
    else:
        print_report(result)
    return 0 if result["retrieved"] else 1
