"""``lampdesk model catalog|download|proxy``: models to download, and how downloads connect."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any, TextIO

from lampdesk.cli.context import Context, print_json
from lampdesk.inference import catalog
from lampdesk.inference.download import (
    DownloadCancelled,
    Progress,
    download,
    plan_download,
    proxy_setting,
    set_proxy_setting,
)
from lampdesk.inference.models import ModelRegistry


def register_actions(actions: Any) -> None:
    listing = actions.add_parser(
        "catalog", help="models you can download, with size, memory needed and licence"
    )
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=show_catalog)
    get = actions.add_parser(
        "download", help="download a catalogue model (checked, then added; progress on stderr)"
    )
    get.add_argument("name", help="a name from 'lampdesk model catalog'")
    get.add_argument("--use", action="store_true", help="answer with it from the next start")
    get.add_argument("--proxy", help="this time, connect through this proxy (http://HOST:PORT)")
    get.set_defaults(handler=download_model)
    proxy = actions.add_parser("proxy", help="the proxy model downloads use (show, set or off)")
    proxy.add_argument("address", nargs="?", help="http://HOST:PORT, or 'off'")
    proxy.set_defaults(handler=model_proxy)


def _row(entry: catalog.CatalogEntry, machine: catalog.Machine, best: str | None) -> dict[str, Any]:
    return {
        **entry.as_json(),
        "fits": catalog.fits(entry, machine),
        "recommended": entry.name == best,
    }


def show_catalog(ctx: Context, args: argparse.Namespace) -> int:
    entries = catalog.load_catalog()
    machine = catalog.Machine.probe(ctx.paths.models_dir)
    best = catalog.recommend(machine, entries)
    rows = [_row(e, machine, best.name if best else None) for e in entries]
    if args.json:
        print_json(rows)
        return 0
    print(
        f"{'':2}{'name':<15}{'size MB':>8}{'RAM MB':>8}  {'licence':<15}{'languages':<12}repo/file"
    )
    for row in rows:
        mark = "*" if row["recommended"] else (" " if row["fits"] else "-")
        langs = ",".join(row["languages"][:3]) + ("…" if len(row["languages"]) > 3 else "")
        print(
            f"{mark:<2}{row['name']:<15}{row['size_mb']:>8,}{row['ram_mb']:>8,}  "
            f"{row['license']:<15}{langs:<12}{row['repo']}/{row['file']}"
        )
    if best is not None:
        print(f"\n* recommended for this computer: {catalog.cost_text(best)}")
    print("- needs more memory or disk than this computer has.")
    print("Download one with: lampdesk model download NAME")
    return 0


class _StderrProgress:
    """Progress lines on stderr: rewritten in place on a terminal, every 10% otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.last: tuple[str, int] = ("", -1)

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "connecting":
            print("Connecting…", file=self.err, flush=True)
            return
        total = progress.total or 0
        percent = int(progress.done * 100 / total) if total else 0
        step = percent if self.tty else percent - percent % 10
        if (progress.phase, step) == self.last:
            return
        self.last = (progress.phase, step)
        verb = "downloading" if progress.phase == "downloading" else "checking SHA-256"
        line = f"{verb}: {progress.done / 1e6:,.1f} of {total / 1e6:,.1f} MB ({percent}%)"
        end = "\r" if self.tty and percent < 100 else "\n"
        print(line, end=end, file=self.err, flush=True)


def download_model(ctx: Context, args: argparse.Namespace) -> int:
    entry = catalog.find(args.name)
    plan = plan_download(ctx.paths, entry, args.proxy)
    print(plan.describe(), file=sys.stderr, flush=True)
    cancel = threading.Event()
    try:
        info = download(ctx.paths, entry, report=_StderrProgress(sys.stderr), cancel=cancel,
                        proxy=args.proxy)  # fmt: skip
    except KeyboardInterrupt as exc:  # Ctrl-C between two chunks: as a cancel
        raise DownloadCancelled("The download was interrupted; start it again to resume.") from exc
    print(f"Downloaded, checked and added: {info.name} ({info.size_bytes / 1e6:,.0f} MB, "
          f"{info.architecture}, context {info.context_length}) at {info.path}")  # fmt: skip
    if args.use:
        ModelRegistry(ctx.paths).use(info.name)
        print(f"LampDesk answers with {info.name} from the next start.")
    else:
        print(f"Use it with: lampdesk model use {info.name}")
    return 0


def model_proxy(ctx: Context, args: argparse.Namespace) -> int:
    if args.address:
        off = args.address.lower() in ("off", "none", "")
        set_proxy_setting(ctx.paths, None if off else args.address)
    current = proxy_setting(ctx.paths)
    print(f"proxy={current or 'none (the system HTTPS_PROXY, if set)'}")
    return 0
