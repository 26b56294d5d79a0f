"""The one thread that may touch a llama.cpp context.

llama.cpp contexts are not thread-safe, and llama-cpp-python keeps the evaluated tokens on the
``Llama`` object between calls; so every job that reads or changes the model runs here, one after
the other, and callers wait on a :class:`~concurrent.futures.Future`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class OwnerThread:
    """A daemon thread, started on the first job, that runs jobs in the order submitted."""

    def __init__(self, name: str = "llama-owner") -> None:
        self._name = name
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, work: Callable[[], T]) -> Future[T]:
        """Queue *work*; its result (or what it raised) arrives in the returned future."""
        with self._lock:
            if not self.alive:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return future

    def call(self, work: Callable[[], T]) -> T:
        """Run *work* on the owner thread and return its result (directly when already there,
        so a job may call another without waiting on itself)."""
        if threading.current_thread() is self._thread:
            return work()
        return self.submit(work).result()

    def stop(self) -> None:
        """Let the thread finish the jobs queued so far, then end; the next job starts a new one."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._jobs.put(None)
        thread.join()
        self._thread = None

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            work, future = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(work())
                except BaseException as exc:
                    future.set_exception(exc)
