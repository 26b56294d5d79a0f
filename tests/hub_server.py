"""A small Hugging Face hub on 127.0.0.1, speaking what ``huggingface_hub`` uses to download.

Two origins, as on the real hub: the hub itself answers ``HEAD``/``GET
/{repo}/resolve/{revision}/{file}`` with a 302 to its file server and the headers
``huggingface_hub`` reads (``X-Repo-Commit``, ``X-Linked-Etag`` = the file's SHA-256,
``X-Linked-Size``), or a 404 with ``X-Error-Code`` (``RepoNotFound``, ``EntryNotFound``); the file
server (another port) serves ``/blobs/{sha256}`` with ``Range`` support (206, Content-Range).

Knobs for failure tests: ``advertised_sha`` (a wrong hash), ``pause_at`` (the file server stops
after that many bytes of a response, sets ``paused`` and waits for ``gate``), ``drop_at`` (it
closes the connection after that many bytes, once, and with ``refuse_after_drop`` answers 503
from then on, until ``refusing`` is cleared).
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 1024 * 1024
GATE_LIMIT_S = 120


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Hub:
    files: dict[tuple[str, str], Path]  # (repo, file) -> content
    shas: dict[tuple[str, str], str] = field(default_factory=dict)
    advertised_sha: str | None = None
    pause_at: int | None = None
    drop_at: int | None = None
    refuse_after_drop: bool = False
    refusing: bool = False
    paused: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # origin, method, path+range
    #: Every request's headers, as sent: what the client told about itself.
    headers: list[dict[str, str]] = field(default_factory=list)
    hub_port: int = 0
    cdn_port: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}"

    def blob(self, sha: str) -> Path | None:
        for key, found in self.shas.items():
            if found == sha:
                return self.files[key]
        return None

    def ranges(self) -> list[str]:
        return [r[2] for r in self.requests if r[0] == "cdn" and r[1] == "GET"]


def _hub_handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class HubHandler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return None

        def _resolve(self) -> None:
            hub.requests.append(("hub", self.command, self.path))
            hub.headers.append(dict(self.headers.items()))
            match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self.path)
            repos = {repo for repo, _ in hub.files}
            if match is None or match.group(1) not in repos:
                self._error(404, "RepoNotFound", "Repository not found")
                return
            key = (match.group(1), match.group(3))
            if key not in hub.files:
                self._error(404, "EntryNotFound", "Entry not found")
                return
            sha = hub.shas[key]
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{hub.cdn_port}/blobs/{sha}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{hub.advertised_sha or sha}"')
            self.send_header("X-Linked-Size", str(hub.files[key].stat().st_size))
            self.send_header("ETag", '"0000000000000000000000000000000000000000"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _error(self, status: int, code: str, message: str) -> None:
            body = f'{{"error": "{message}"}}'.encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        do_HEAD = _resolve
        do_GET = _resolve

    return HubHandler


def _cdn_handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class CdnHandler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return None

        def _serve(self) -> None:
            hub.requests.append(("cdn", self.command, f"{self.path} {self.headers.get('Range')}"))
            hub.headers.append(dict(self.headers.items()))
            match = re.fullmatch(r"/blobs/([0-9a-f]{64})", self.path)
            path = hub.blob(match.group(1)) if match else None
            if hub.refusing:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = path.stat().st_size
            start = 0
            wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if wanted:
                start = int(wanted.group(1))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            else:
                self.send_response(200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            if self.command == "HEAD":
                return
            sent = 0
            try:
                with path.open("rb") as handle:
                    handle.seek(start)
                    while block := handle.read(CHUNK):
                        if hub.drop_at is not None and sent >= hub.drop_at:
                            hub.drop_at = None
                            hub.refusing = hub.refuse_after_drop
                            self.wfile.flush()
                            self.connection.shutdown(socket.SHUT_RDWR)
                            self.close_connection = True
                            return
                        if hub.pause_at is not None and sent >= hub.pause_at:
                            self.wfile.flush()
                            hub.paused.set()
                            hub.gate.wait(GATE_LIMIT_S)
                            hub.pause_at = None
                        self.wfile.write(block)
                        sent += len(block)
            except (BrokenPipeError, ConnectionResetError):
                return

        do_HEAD = _serve
        do_GET = _serve

    return CdnHandler


@contextmanager
def running_hub(files: dict[tuple[str, str], Path]) -> Iterator[Hub]:
    hub = Hub(files)
    hub.shas = {key: sha256_file(path) for key, path in files.items()}
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _hub_handler(hub)),
               ThreadingHTTPServer(("127.0.0.1", 0), _cdn_handler(hub))]  # fmt: skip
    for server in servers:
        server.daemon_threads = True
    hub.hub_port, hub.cdn_port = (s.server_address[1] for s in servers)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield hub
    finally:
        hub.gate.set()
        for server in servers:
            server.shutdown()
            server.server_close()
