"""The resident channel: a running LampDesk (window or ``serve``) runs ``lampdesk`` commands.

A Unix domain socket in the data directory (0600, in a 0700 folder) takes one JSON line, the
command's arguments; the resident runs the command with its already loaded models and open
profile and streams back what the command prints, as JSON lines, then its exit code. The client
side imports nothing heavy, so ``lampdesk ask`` answers as fast as the resident can.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lampdesk.paths import DataPaths, ensure_private_dir

if TYPE_CHECKING:
    from lampdesk.app import LampDesk

#: Runs one command: (argv, stdout, stderr) -> exit code.
CommandRunner = Callable[[Sequence[str], TextIO, TextIO], int]
#: Makes the command runner of a resident LampDesk (the window, ``serve``): the CLI's dispatch,
#: handed to the front ends by whoever starts them, so ``ui/`` and ``api/`` never import ``cli/``.
Commands = Callable[["LampDesk"], CommandRunner]
EXIT_RESIDENT_GONE = 3


class _LineWriter:
    """A text stream that sends each write as a JSON line ``{"out"|"err": text}``."""

    def __init__(self, sock: socket.socket, kind: str, lock: threading.Lock) -> None:
        self._sock = sock
        self._kind = kind
        self._lock = lock

    def write(self, text: str) -> int:
        if text:
            with self._lock:
                self._sock.sendall((json.dumps({self._kind: text}) + "\n").encode())
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class ResidentServer:
    """Serves commands, one at a time, until :meth:`stop`."""

    def __init__(self, paths: DataPaths, run: CommandRunner) -> None:
        self.path = paths.resident_socket
        self._run = run
        self._busy = threading.Lock()
        ensure_private_dir(paths.root)
        if self.path.exists():
            if _alive(self.path):
                raise OSError(f"another LampDesk already answers at {self.path}")
            self.path.unlink()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self._sock.bind(str(self.path))
        finally:
            os.umask(old)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._serve, name="lampdesk-resident", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("r", encoding="utf-8") as lines:
            try:
                request = json.loads(lines.readline() or "{}")
                argv = [str(a) for a in request.get("argv", [])]
            except (ValueError, AttributeError):
                return
            send_lock = threading.Lock()
            out = _LineWriter(conn, "out", send_lock)
            err = _LineWriter(conn, "err", send_lock)
            try:
                with self._busy:
                    code = self._run(argv, out, err)  # type: ignore[arg-type]
                with send_lock:
                    conn.sendall((json.dumps({"exit": code}) + "\n").encode())
            except OSError:
                pass  # the command went away (Ctrl-C): nothing to tell it

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self.path.unlink(missing_ok=True)


def _alive(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def forward(paths: DataPaths, argv: Sequence[str]) -> int | None:
    """Run *argv* in the resident LampDesk if one runs; ``None`` when none does."""
    if not paths.resident_socket.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(paths.resident_socket))
    except OSError:
        sock.close()
        return None  # a socket left behind by a LampDesk that is gone
    with sock, sock.makefile("r", encoding="utf-8") as replies:
        request: dict[str, Any] = {"argv": list(argv)}
        sock.sendall((json.dumps(request) + "\n").encode())
        for line in replies:
            reply = json.loads(line)
            if "out" in reply:
                sys.stdout.write(reply["out"])
                sys.stdout.flush()
            elif "err" in reply:
                sys.stderr.write(reply["err"])
                sys.stderr.flush()
            elif "exit" in reply:
                return int(reply["exit"])
    print(
        "lampdesk: error: the running LampDesk stopped before it finished this command; "
        "nothing more was done. Run the command again.",
        file=sys.stderr,
    )
    return EXIT_RESIDENT_GONE
