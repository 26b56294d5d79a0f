"""Strict, isolated tests: every test gets its own data directory, home and passphrase."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_PASSPHRASE = "correct horse battery staple"


def pytest_configure(config: pytest.Config) -> None:
    """As ``lampdesk`` does at start: freed memory is wiped (see lampdesk/hardening.py)."""
    from lampdesk.hardening import wipe_freed_memory

    wipe_freed_memory()


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
