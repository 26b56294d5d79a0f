"""Acceptance 5: a writer killed with SIGKILL at random moments loses no committed memory."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault.profiles import Vault

WRITER = """
import sys
from pathlib import Path
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault.profiles import Vault

_, store = Vault(DataPaths(Path(sys.argv[1]))).open("default")
profile = Profile(store)
round_ = sys.argv[2]
i = 0
while True:
    memory = profile.add_memory(f"round {round_} memory {i}")
    print(memory.id, flush=True)  # only after the write's transaction has committed
    i += 1
"""

ROUNDS = 20


def test_sigkilled_writer_loses_no_committed_memory(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    vault.create("default")[1].close()
    rng = random.Random(5)
    committed: set[int] = set()
    for round_ in range(ROUNDS):
        with subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), str(round_)],
            stdout=subprocess.PIPE,
            env=os.environ.copy(),
        ) as child:
            assert child.stdout is not None
            first = child.stdout.readline()  # the writer is running and has committed once
            assert first.endswith(b"\n"), "the writer did not start"
            time.sleep(rng.uniform(0.0, 0.25))
            child.send_signal(signal.SIGKILL)
            rest = child.stdout.read()
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        lines = (first + rest).split(b"\n")
        # The last piece is an id cut short by the kill (or empty): its write may not have
        # returned, so it is not counted.
        committed |= {int(line) for line in lines[:-1]}

        _, store = vault.open("default")
        with store:
            assert store.integrity_problems() == [], f"round {round_}"
            present = {m.id for m in Profile(store).memories()}
        missing = committed - present
        assert not missing, f"round {round_}: committed memories lost: {sorted(missing)[:10]}"
    assert len(committed) > ROUNDS
