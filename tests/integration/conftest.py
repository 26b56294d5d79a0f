"""Helpers for integration tests that run the real ``lampdesk`` command."""

from __future__ import annotations

import os
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
