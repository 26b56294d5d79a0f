"""Answers streamed to the terminal: generation in a thread that Ctrl-C cancels between tokens."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def write_chunk(chunk: str) -> None:
    """Print a streamed piece of an answer at once."""
    sys.stdout.write(chunk)
    sys.stdout.flush()


def run_cancellable(work: Callable[[threading.Event], T], *, name: str) -> T:
    """Run ``work(cancel)`` in a thread; Ctrl-C sets ``cancel`` and waits for it to stop.

    Generation runs in a thread so that Ctrl-C cancels between tokens and the answer so far is
    still recorded; what ``work`` raised is raised here.
    """
    cancel = threading.Event()
    outcome: dict[str, T] = {}
    errors: list[BaseException] = []

    def target() -> None:
        try:
            outcome["result"] = work(cancel)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cancel.set()
        worker.join()
    if errors:
        raise errors[0]
    return outcome["result"]
