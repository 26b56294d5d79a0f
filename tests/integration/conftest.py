"""Helpers for integration tests that run the real ``lampdesk`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSPHRASE

NO_NETWORK = Path(__file__).with_name("no_network.py")


class Cli:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env

    def __call__(
        self, *args: str, passphrase: str = TEST_PASSPHRASE, guard: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "LAMPDESK_PASSPHRASE": passphrase}
        runner = [sys.executable, str(NO_NETWORK), str(guard)] if guard else [sys.executable, "-m"]
        command = [*runner, "lampdesk", "--data-dir", str(self.data_dir), *args]
        if guard:
            command.remove("lampdesk")
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    return Cli(data_dir, dict(os.environ))


HAVE_SECRET_SERVICE = bool(
    shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")
)


def run_with_secret_service(
    script: str, tmp_path: Path, timeout: float = 240
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Run a shell *script* on a private D-Bus with gnome-keyring's Secret Service.

    The script sees $PY (this Python), $DATA (a data directory) and $OUT (a folder for its
    files); no passphrase or keyring backend is forced on it. Returns (result, DATA, OUT).
    """
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    data, out = tmp_path / "data", tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PY": sys.executable, "DATA": str(data), "OUT": str(out)}
    env["XDG_RUNTIME_DIR"] = str(runtime)
    for var in ("LAMPDESK_PASSPHRASE", "PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"):
        env.pop(var, None)
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done, data, out
