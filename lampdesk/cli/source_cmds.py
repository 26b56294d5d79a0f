"""``lampdesk source ...``: take in notes, documents and chat histories, and let them go again."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lampdesk.cli.context import Context, print_json
from lampdesk.prompting.items import for_model
from lampdesk.sources.model import KINDS

if TYPE_CHECKING:
    from lampdesk.sources.importer import ImportReport, SourceImporter
    from lampdesk.sources.model import Plan

#: A progress line at most this often (seconds), and at each stage's end.
PROGRESS_INTERVAL = 0.5


def register(commands: Any) -> None:
    source = commands.add_parser(
        "source", help="build the profile from your notes, documents and chat exports"
    )
    actions = source.add_subparsers(dest="source_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add a source: a folder of notes/documents (Markdown, text, PDF, DOCX, HTML), a "
        "ChatGPT or Claude export (the zip, or its conversations.json), or a LoCoMo file",
    )
    add.add_argument("kind", choices=KINDS)
    add.add_argument("path")
    add.add_argument("--preview", action="store_true", help="show what would be added; add none")
    add.add_argument("--json", action="store_true", help="print the report as one JSON object")
    add.set_defaults(handler=add_source)
    list_ = actions.add_parser("list", help="the profile's sources")
    list_.add_argument("--json", action="store_true")
    list_.set_defaults(handler=list_sources)
    rescan = actions.add_parser(
        "rescan", help="read a source again: edits replace, deletions remove, the rest stays"
    )
    rescan.add_argument("id", type=int)
    rescan.add_argument("--preview", action="store_true")
    rescan.add_argument("--json", action="store_true")
    rescan.set_defaults(handler=rescan_source)
    remove = actions.add_parser("remove", help="remove a source and everything it added")
    remove.add_argument("id", type=int)
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(handler=remove_source)
    search = actions.add_parser(
        "search", help="what the assistant would retrieve for a question, with provenance"
    )
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=search_profile)


class ProgressLine:
    """One line on stderr, rewritten in place on a terminal, a new line otherwise."""

    def __init__(self) -> None:
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < PROGRESS_INTERVAL and done:
            return
        self._last = now
        percent = f" {100 * done // total:3d}%" if total else ""
        line = f"{stage}: {done}/{total}{percent}"
        if self._tty:
            end = "\n" if done >= total else ""
            print(f"\r{line:<40}", end=end, file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def _importer(ctx: Context) -> SourceImporter:
    from lampdesk.sources.importer import SourceImporter

    session = ctx.session()
    return SourceImporter(session.profile, session.assistant.retriever)


def print_plan(plan: Plan, *, preview: bool) -> None:
    verb = "Would add" if preview else "Added"
    exchanges = f" and {plan.interactions} exchanges" if plan.interactions else ""
    print(f"{verb} {plan.items} items{exchanges} from {len(plan.parts)} file(s) of {plan.label}.")
    for part in plan.parts[:20]:
        extra = f", {len(part.interactions)} exchanges" if part.interactions else ""
        print(f"  {part.path}: {part.title} ({len(part.items)} items{extra})")
        if preview:
            for item in part.items[:2]:
                print(f"      {item.position}: {' '.join(item.text.split())[:90]}")
    if len(plan.parts) > 20:
        print(f"  ... and {len(plan.parts) - 20} more file(s)")
    if plan.unchanged:
        print(f"Unchanged: {len(plan.unchanged)} file(s).")
    if plan.removed:
        print(f"Gone from the source, {'to be ' if preview else ''}removed: {len(plan.removed)}.")
    if plan.candidates:
        print(f"{len(plan.candidates)} of your messages may hold facts for your memory.")
    if plan.skipped:
        kinds = ", ".join(f"{suffix} {n}" for suffix, n in plan.skipped.items())
        print(f"Left out (not a supported format): {kinds}.")
    if plan.problems:
        print(f"Problems ({len(plan.problems)} file(s) not taken in; the rest was):")
        for problem in plan.problems:
            print(f"  {problem.path}: {problem.message}")


def _run(ctx: Context, args: argparse.Namespace, plan: Plan) -> int:
    importer = _importer(ctx)
    if args.preview:
        if args.json:
            print_json({"preview": True, **plan.as_json()})
        else:
            print_plan(plan, preview=True)
        return 0
    report: ImportReport = importer.apply(plan, progress=ProgressLine())
    if args.json:
        print_json(report.as_json())
    else:
        print_plan(plan, preview=False)
        if report.written is not None:
            print(f"Source {report.written.source_id}: ready to use.")
        if report.learned:
            waiting = sum(1 for o in report.learned if o.proposal_id is not None)
            print(
                f"Memory: {len(report.learned) - waiting} fact(s) learned from your messages, "
                f"{waiting} waiting for you ('lampdesk memory pending')."
            )
    return 1 if plan.problems else 0


def add_source(ctx: Context, args: argparse.Namespace) -> int:
    plan = _importer(ctx).preview(args.kind, Path(args.path), progress=ProgressLine())
    return _run(ctx, args, plan)


def rescan_source(ctx: Context, args: argparse.Namespace) -> int:
    plan = _importer(ctx).preview_rescan(args.id, progress=ProgressLine())
    return _run(ctx, args, plan)


def list_sources(ctx: Context, args: argparse.Namespace) -> int:
    sources = _importer(ctx).sources()
    if args.json:
        print_json([s.as_json() for s in sources])
        return 0
    if not sources:
        print("No sources yet: add one with 'lampdesk source add folder ~/Notes'.")
    for s in sources:
        print(
            f"[{s.id}] {s.kind:<8} {s.label}  ({s.files} files, {s.items} items, "
            f"{s.interactions} exchanges; scanned {s.scanned_at})\n      {s.path}"
        )
    return 0


def remove_source(ctx: Context, args: argparse.Namespace) -> int:
    written = _importer(ctx).remove(args.id, progress=ProgressLine())
    if args.json:
        print_json(
            {
                "source_id": args.id,
                "items_removed": written.items_removed,
                "interactions_removed": written.interactions_removed,
            }
        )
    else:
        print(
            f"Removed source {args.id}: {written.items_removed} items and "
            f"{written.interactions_removed} exchanges, from the store and both indexes."
        )
    return 0


def search_profile(ctx: Context, args: argparse.Namespace) -> int:
    retriever = ctx.session().assistant.retriever
    items = retriever.search(" ".join(args.query), limit=args.limit, render=for_model)
    if args.json:
        print_json([item.as_json() for item in items])
        return 0
    for item in items:
        origin = item.why.get("from")
        where = f"  ({origin['file']}, {origin['position']})" if origin else ""
        print(f"[{item.id}] {' '.join(item.text.split())[:160]}{where}")
    return 0
