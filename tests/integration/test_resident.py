"""A resident LampDesk (here `lampdesk serve`) answering commands from other processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lampdesk.inference.models import EMBEDDED_FILE, embedded_model_path

pytestmark = [pytest.mark.model, pytest.mark.embedder]
CLIENT = (
    "import json, sys\n"
    "from lampdesk.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = sorted(m for m in ('torch', 'llama_cpp', 'chromadb', 'sentence_transformers')"
    " if m in sys.modules)\n"
    "print('HEAVY=' + json.dumps(heavy), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def resident(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "lampdesk", "--data-dir", str(data_dir), "serve",
         "--port", str(free_port())],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sock = data_dir / "resident.sock"
    deadline = time.monotonic() + 120
    while not sock.exists() and time.monotonic() < deadline and server.poll() is None:
        time.sleep(0.1)
    assert sock.exists(), server.stderr.read() if server.stderr else ""
    yield server
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if server.stderr is not None:
        server.stderr.close()


def client(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLIENT, "--data-dir", str(data_dir), *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_commands_run_in_the_resident_and_the_client_stays_light(
    resident: subprocess.Popen[str], data_dir: Path
) -> None:
    assert client(data_dir, "remember", "My cat is called Pixel").returncode == 0
    asked = client(data_dir, "ask", "--max-tokens", "16", "What is my cat called?")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert "memories used: #1" in asked.stderr
    assert "HEAVY=[]" in asked.stderr, asked.stderr
    listed = client(data_dir, "memory", "list", "--json")
    assert json.loads(listed.stdout)[0]["text"] == "My cat is called Pixel"


def test_resident_killed_mid_answer_is_a_clear_error(
    resident: subprocess.Popen[str], data_dir: Path
) -> None:
    asking = subprocess.Popen(
        [sys.executable, "-c", CLIENT, "--data-dir", str(data_dir), "ask", "--max-tokens",
         "400", "--temperature", "0.9", "Write a very long story about the sea."],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert asking.stdout is not None
    first = asking.stdout.read(1)  # the answer has started streaming
    assert first
    resident.kill()
    resident.wait()
    _out, err = asking.communicate(timeout=60)
    assert asking.returncode == 3, err
    assert "stopped before it finished" in err


def test_second_writer_waits_then_refuses_and_nothing_is_lost(
    resident: subprocess.Popen[str], data_dir: Path
) -> None:
    assert client(data_dir, "remember", "First fact").returncode == 0
    # Without the resident channel, a second process may not open the profile it holds.
    refused = client(data_dir, "remember", "Second fact", LAMPDESK_NO_RESIDENT="1")
    assert refused.returncode == 2
    assert "open in another LampDesk process" in refused.stderr
    resident.send_signal(signal.SIGINT)
    resident.wait(30)
    assert not (data_dir / "resident.sock").exists()
    listed = client(data_dir, "memory", "list", "--json")
    assert [m["text"] for m in json.loads(listed.stdout)] == ["First fact"]
    assert "HEAVY=[]" in listed.stderr


def test_model_use_loads_the_model_in_the_resident(
    resident: subprocess.Popen[str], data_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "smol-copy.gguf"  # the embedded file under another name: a second model
    try:
        os.link(embedded_model_path(), other)
    except OSError:
        other.write_bytes(embedded_model_path().read_bytes())
    before = json.loads(client(data_dir, "ask", "--json", "--max-tokens", "4", "Hi").stdout)
    assert before["model"] == EMBEDDED_FILE
    added = client(data_dir, "model", "add", str(other), "--name", "smol-copy")
    assert added.returncode == 0, added.stderr
    used = client(data_dir, "model", "use", "smol-copy")
    assert used.returncode == 0 and "loaded in the running LampDesk" in used.stdout, used.stderr
    after = json.loads(client(data_dir, "ask", "--json", "--max-tokens", "4", "Hi").stdout)
    assert after["model"] == "smol-copy.gguf" and after["answer"], "no restart needed"
    gone = client(data_dir, "model", "use", "nothing-such")
    assert gone.returncode != 0 and "no model named" in gone.stderr
