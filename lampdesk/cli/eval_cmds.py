"""``lampdesk eval retrieval`` and ``lampdesk bench retrieval``: quality and speed, measured."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lampdesk.cli.context import Context, print_json
from lampdesk.errors import UsageError
from lampdesk.evals import progress


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
    """``bench retrieval``, under the one ``bench`` command (see inference_cmds)."""
    bench_retrieval = benches.add_parser("retrieval", help="query latency and ingest rate")
    bench_retrieval.add_argument("--items", type=_sizes, default=[1000, 10000, 100000])
    bench_retrieval.add_argument("--queries", type=int, default=100)
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

    result = run_bench(args.items, queries=args.queries, progress=_progress)
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
