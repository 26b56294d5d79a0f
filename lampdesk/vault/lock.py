"""One process at a time per profile: an advisory lock beside the profile's database.

Chroma's persistent client is not process-safe and two writers would race on the index, so a
second process waits briefly, then refuses with a clear message. Within one process the lock is
shared (counted), since the window, the API and the resident channel share their services.
"""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import IO

from lampdesk.errors import ProfileBusyError

WAIT_SECONDS = 5.0
_held: dict[Path, tuple[IO[str], int]] = {}
_guard = threading.Lock()


def acquire(path: Path, profile_name: str, wait: float = WAIT_SECONDS) -> None:
    with _guard:
        if path in _held:
            handle, count = _held[path]
            _held[path] = (handle, count + 1)
            return
        handle = path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise ProfileBusyError(
                        f"Profile {profile_name!r} is open in another LampDesk process. "
                        "Close it, or run the command while the desktop app is running so it "
                        "can answer for you."
                    ) from None
                time.sleep(0.1)
        # The file stays empty: opening a profile with a wrong key must change no byte.
        _held[path] = (handle, 1)


def release(path: Path) -> None:
    with _guard:
        if path not in _held:
            return
        handle, count = _held[path]
        if count > 1:
            _held[path] = (handle, count - 1)
            return
        del _held[path]
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
