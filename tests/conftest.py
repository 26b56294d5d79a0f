"""Strict, isolated tests: every test gets its own data directory, home and passphrase."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_PASSPHRASE = "correct horse battery staple"

#: The home directory of whoever runs the tests, read before any test replaces $HOME.
REAL_HOME = Path(os.path.expanduser("~")).resolve()
#: Where writing is expected even if it lies under the real home: the checkout (pytest's cache,
#: bytecode) and the Python environment (bytecode of installed packages).
_MAY_WRITE = [Path(__file__).resolve().parent.parent, Path(sys.prefix).resolve()]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_guard = {"on": False}


def pytest_configure(config: pytest.Config) -> None:
    """As ``lampdesk`` does at start: freed memory is wiped (see lampdesk/hardening.py)."""
    from lampdesk.hardening import wipe_freed_memory

    wipe_freed_memory()


def _under_real_home(path: Any) -> bool:
    if not isinstance(path, str | bytes | os.PathLike):
        return False  # an open file descriptor
    try:
        resolved = Path(os.fsdecode(path)).resolve()
    except (OSError, ValueError):
        return False
    if not resolved.is_relative_to(REAL_HOME):
        return False
    return not any(resolved.is_relative_to(allowed) for allowed in _MAY_WRITE)


def _real_home_guard(event: str, args: tuple[Any, ...]) -> None:
    """Fail a write below the real home directory while a test runs (the test's own home is a
    temporary folder: a write to the real one means something ignored $HOME or LampDesk's paths)."""
    if not _guard["on"]:
        return
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1] or "", args[2] or 0
        writing = any(c in str(mode) for c in "wax+") or bool(flags & _WRITE_FLAGS)
        if writing and _under_real_home(path):
            raise PermissionError(f"a test wrote under the real home directory: {path}")
    elif event in ("os.mkdir", "os.remove", "os.rename", "os.rmdir", "shutil.rmtree"):
        targets = args[:2] if event == "os.rename" else args[:1]
        if any(_under_real_home(target) for target in targets):
            raise PermissionError(f"a test changed the real home directory: {event} {args[0]}")


sys.addaudithook(_real_home_guard)


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def logfail(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which an error was logged (qutebrowser's logfail): an error in the log
    is a bug shown nowhere else. A test that provokes one on purpose says so with
    ``@pytest.mark.logged_errors``."""
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("logged_errors") is None:
        lines = [f"{r.name}: {r.getMessage()}" for r in handler.records]
        pytest.fail("errors were logged during the test:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture(autouse=True)
def real_home_untouched() -> Iterator[None]:
    """No test writes under the real home directory (see ``_real_home_guard``)."""
    _guard["on"] = True
    try:
        yield
    finally:
        _guard["on"] = False


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files made from the installed models (the embedder's ONNX graph), shared by the
    session's tests and processes: they hold no user data and would only be made again."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> Iterator[Path]:
    """A private data dir and home per test; the real home is never touched."""
    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAMPDESK_DATA_DIR", str(data))
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", "share"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", TEST_PASSPHRASE)
    # Tests choose a keyring explicitly; by default none is usable (as on a headless machine).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("LAMPDESK_PROFILE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("LAMPDESK_CACHE_DIR", str(model_cache))
    yield data


@pytest.fixture
def data_dir(isolated_environment: Path) -> Path:
    return isolated_environment


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """The real embedded SmolLM2 model, loaded once for the whole session."""
    from lampdesk.inference.engine import Engine

    engine = Engine(n_ctx=1024)
    engine.load()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The real all-MiniLM-L6-v2 embedder, loaded once for the whole session."""
    from lampdesk.retrieval.dense import Embedder

    embedder = Embedder()
    embedder.embed(["warm up"])
    return embedder


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below *directory* with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def files_containing(directory: Path, *needles: str) -> list[str]:
    found = []
    for path in directory.rglob("*"):
        if path.is_file():
            blob = path.read_bytes().lower()
            found += [f"{path}: {n}" for n in needles if n.lower().encode() in blob]
    return found


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
