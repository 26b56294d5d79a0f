"""Progress of ``eval`` and ``bench`` commands: one line on standard error per step, at once.

Evaluations and benchmarks run for minutes; each step says where it is and how long the command
has run, so a long run is never silent. Standard output keeps only the report (or its JSON).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_STARTED: float | None = time.monotonic()


def note(message: str, done: int | None = None, total: int | None = None) -> None:
    """Say *message* on standard error (with ``done/total`` when given), flushed."""
    global _STARTED
    now = time.monotonic()
    if _STARTED is None:
        _STARTED = now
    count = f" {done}/{total}" if done is not None and total is not None else ""
    out: TextIO = sys.stderr
    print(f"[{now - _STARTED:7.1f}s]{count} {message}", file=out, flush=True)
