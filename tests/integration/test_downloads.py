"""Catalogue downloads against a hub-shaped HTTP server on 127.0.0.1 (through ``HF_ENDPOINT``),
with the real ``huggingface_hub``, the real ``lampdesk`` command and the real SmolLM2 file."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lampdesk.inference import catalog
from lampdesk.inference.download import DownloadError, Progress, download
from lampdesk.inference.models import ModelRegistry, embedded_model_path
from lampdesk.paths import DataPaths
from tests.conftest import TEST_PASSPHRASE
from tests.hub_server import Hub, running_hub, sha256_file
from tests.integration.conftest import Cli

NAME = "qwen2.5-0.5b"
ENTRY = catalog.find(NAME)
NET_RECORD = Path(__file__).with_name("net_record.py")
WAIT_S = 120


@pytest.fixture
def hub() -> Iterator[Hub]:
    """The hub serves the embedded SmolLM2 file as the catalogue entry's file."""
    with running_hub({(ENTRY.repo, ENTRY.file): embedded_model_path()}) as hub:
        yield hub


@pytest.fixture
def hub_cli(data_dir: Path, hub: Hub) -> Cli:
    return Cli(data_dir, {**os.environ, "HF_ENDPOINT": hub.endpoint})


def registered(cli: Cli) -> list[str]:
    listed = cli("model", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return [m["name"] for m in json.loads(listed.stdout)]


def nothing_left(data_dir: Path) -> None:
    models = data_dir / "models"
    left = [p for p in models.rglob("*") if p.is_file()] if models.exists() else []
    assert left == [], left


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition another process brings about."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.mark.model
@pytest.mark.embedder
def test_a_download_completes_and_the_model_answers(hub_cli: Cli, hub: Hub) -> None:
    done = hub_cli("model", "download", NAME, "--use")
    assert done.returncode == 0, done.stderr
    assert hub.endpoint in done.stderr and "connects only to 127.0.0.1" in done.stderr
    assert "(100%)" in done.stderr and "checking SHA-256" in done.stderr
    path = hub_cli.data_dir / "models" / ENTRY.file
    assert sha256_file(path) == sha256_file(embedded_model_path())
    assert not list((hub_cli.data_dir / "models" / ".downloads").iterdir())
    (model,) = [m for m in json.loads(hub_cli("model", "list", "--json").stdout) if m["active"]]
    assert model["name"] == NAME and Path(model["path"]) == path.resolve()

    asked = hub_cli("ask", "--max-tokens", "8", "Hello there")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert "qwen2.5-0.5b" in hub_cli("model", "list").stdout.splitlines()[1]


def test_a_download_killed_halfway_resumes_and_completes(hub_cli: Cli, hub: Hub) -> None:
    size = embedded_model_path().stat().st_size
    hub.pause_at = size // 2
    command = [sys.executable, "-m", "lampdesk", "--data-dir", str(hub_cli.data_dir),
               "model", "download", NAME]  # fmt: skip
    env = {**hub_cli.env, "LAMPDESK_PASSPHRASE": TEST_PASSPHRASE}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert hub.paused.wait(WAIT_S), "the first download never got halfway"
        parts = hub_cli.data_dir / "models" / ".downloads"
        wait_for(lambda: any(p.stat().st_size > 0 for p in parts.glob("*.part")), "a part")
        first.send_signal(signal.SIGKILL)
        first.wait(WAIT_S)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.communicate()
    (part,) = parts.glob("*.part")
    kept = part.stat().st_size
    assert 0 < kept <= size // 2
    assert registered(hub_cli) == ["smollm2-135m"]
    hub.gate.set()

    again = hub_cli("model", "download", NAME)
    assert again.returncode == 0, again.stderr
    resumed = hub.ranges()[-1]
    assert resumed.endswith(f"bytes={kept}-"), hub.ranges()
    assert (
        sha256_file(hub_cli.data_dir / "models" / ENTRY.file) == hub.shas[(ENTRY.repo, ENTRY.file)]
    )
    assert registered(hub_cli) == ["smollm2-135m", NAME]
    assert list(parts.glob("*.part")) == []


def test_a_wrong_hash_is_rejected_and_nothing_is_registered(hub_cli: Cli, hub: Hub) -> None:
    hub.advertised_sha = "0" * 64
    refused = hub_cli("model", "download", NAME)
    assert refused.returncode == 2
    assert "does not match the SHA-256" in refused.stderr and "nothing was added" in refused.stderr
    assert "Traceback" not in refused.stderr
    nothing_left(hub_cli.data_dir)
    assert registered(hub_cli) == ["smollm2-135m"]


def test_a_missing_file_or_repository_says_404(data_dir: Path) -> None:
    other = catalog.find("gemma-3-1b")
    with running_hub({(other.repo, "another-file.gguf"): embedded_model_path()}) as hub:
        cli = Cli(data_dir, {**os.environ, "HF_ENDPOINT": hub.endpoint})
        for name in (NAME, "gemma-3-1b"):  # an unknown repository, then an unknown file in one
            missing = cli("model", "download", name)
            assert missing.returncode == 2
            (line,) = [x for x in missing.stderr.splitlines() if x.startswith("lampdesk: error")]
            assert "404" in line and "nothing was downloaded" in line, missing.stderr
    nothing_left(data_dir)


def test_an_unreachable_hub_is_a_clear_message(data_dir: Path) -> None:
    cli = Cli(data_dir, {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9"})
    failed = cli("model", "download", NAME)
    assert failed.returncode == 2
    assert "Cannot reach http://127.0.0.1:9" in failed.stderr and "Traceback" not in failed.stderr


@pytest.fixture
def small_disk(data_dir: Path) -> Iterator[Callable[[int], Path]]:
    """The model folder on a tmpfs (root only), unmounted afterwards."""

    def mount(size_mb: int) -> Path:
        folder = data_dir / "models"
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs as the model folder needs root")
    mounted: list[Path] = []
    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_before_the_download_is_a_clear_message(
    small_disk: Callable[[int], Path], hub_cli: Cli
) -> None:
    small_disk(20)
    full = hub_cli("model", "download", NAME)
    assert full.returncode == 2
    assert "Not enough free disk space" in full.stderr and "Nothing was kept" in full.stderr
    nothing_left(hub_cli.data_dir)
    assert registered(hub_cli) == ["smollm2-135m"]


def test_a_disk_filling_up_during_the_download_removes_the_part(
    small_disk: Callable[[int], Path], data_dir: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = embedded_model_path().stat().st_size
    folder = small_disk(size // 1_000_000 + 40)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    filled = threading.Event()

    def fill_the_disk(progress: Progress) -> None:
        if progress.phase == "downloading" and progress.done > 0 and not filled.is_set():
            filled.set()  # something else takes the space while the model downloads
            free = shutil.disk_usage(folder).free
            (folder / "other-program.bin").write_bytes(b"x" * (free - 4096))

    paths = DataPaths.resolve()
    with pytest.raises(DownloadError, match="is full") as raised:
        download(paths, ENTRY, report=fill_the_disk)
    assert "Free some space" in str(raised.value)
    assert list(paths.downloads_dir.glob("*.part")) == []
    assert [m.name for m in ModelRegistry(paths).models()] == ["smollm2-135m"]


def test_a_download_connects_to_nothing_but_the_shown_hub(hub_cli: Cli, hub: Hub) -> None:
    report = hub_cli.data_dir.parent / "connections.txt"
    env = {**hub_cli.env, "LAMPDESK_PASSPHRASE": TEST_PASSPHRASE}
    command = [sys.executable, str(NET_RECORD), str(report), "--data-dir",
               str(hub_cli.data_dir), "model", "download", NAME]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    attempts = report.read_text().splitlines()
    connects = [ast.literal_eval(line.split(" ", 1)[1]) for line in attempts
                if line.startswith("socket.connect ")]  # fmt: skip
    addresses = set(connects)
    assert addresses == {("127.0.0.1", hub.hub_port), ("127.0.0.1", hub.cdn_port)}, attempts
    looked_up = {line for line in attempts if line.startswith("socket.getaddrinfo")}
    assert all("'127.0.0.1'" in line for line in looked_up), looked_up
    assert [r[:2] for r in hub.requests] == [("hub", "HEAD"), ("cdn", "GET")]
    for headers in hub.headers:  # nothing about the user: no token, no cookie, a bare agent
        names = {name.lower() for name in headers}
        assert not names & {"authorization", "cookie"}, headers
        agent = {k.lower(): v for k, v in headers.items()}["user-agent"]
        assert agent.startswith("LampDesk/") and "python" not in agent, agent


def test_the_catalogue_makes_no_connection(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "attempts.txt"
    listed = cli("model", "catalog", "--json", guard=report)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {"name", "size_mb", "ram_mb", "license", "repo", "file"} <= set(rows[0])
    assert [r["name"] for r in rows] == [e.name for e in catalog.load_catalog()]
    assert sum(r["recommended"] for r in rows) <= 1
    assert not report.exists(), report.read_text()


def test_a_file_already_in_the_model_folder_is_reused_or_left_alone(
    data_dir: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    paths = DataPaths.resolve()
    registry = ModelRegistry(paths)
    first = download(paths, ENTRY)
    registry.remove(NAME)  # the list forgets it, the file stays
    again = download(paths, ENTRY)
    assert again.path == first.path
    assert [r[:2] for r in hub.requests] == [("hub", "HEAD"), ("cdn", "GET"), ("hub", "HEAD")]

    registry.remove(NAME)
    own = Path(first.path)
    own.write_bytes(b"GGUF someone else's file")
    with pytest.raises(DownloadError, match="Another file named"):
        download(paths, ENTRY)
    assert own.read_bytes() == b"GGUF someone else's file"
    assert [m.name for m in registry.models()] == ["smollm2-135m"]


def test_the_proxy_setting_is_kept_checked_and_shown_before_a_download(cli: Cli) -> None:
    assert "proxy=none" in cli("model", "proxy").stdout
    assert cli("model", "proxy", "http://127.0.0.1:9").stdout.strip() == "proxy=http://127.0.0.1:9"
    bad = cli("model", "proxy", "proxy.local")
    assert bad.returncode == 2 and "not a proxy address" in bad.stderr
    through = cli("model", "download", NAME)  # nothing listens there: a clear message
    assert through.returncode == 2
    assert "through the proxy http://127.0.0.1:9" in through.stderr
    assert "(or the proxy setting)" in through.stderr and "Traceback" not in through.stderr
    assert "proxy=none" in cli("model", "proxy", "off").stdout


def test_a_dropped_connection_is_retried_or_kept_to_resume(
    data_dir: Path, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    paths = DataPaths.resolve()
    size = embedded_model_path().stat().st_size
    hub.drop_at = size // 3  # dropped once: huggingface_hub resumes it with a Range request
    info = download(paths, ENTRY)
    first, retried = hub.ranges()
    assert first.endswith(" None") and 0 < int(retried.split("bytes=")[1].rstrip("-")) < size
    assert sha256_file(Path(info.path)) == sha256_file(embedded_model_path())
    ModelRegistry(paths).remove(NAME)
    Path(info.path).unlink()

    hub.drop_at, hub.refuse_after_drop = size // 2, True  # dropped, then the server is down
    with pytest.raises(DownloadError, match="connection to the hub was lost") as lost:
        download(paths, ENTRY)
    assert "start the same download again to resume" in str(lost.value)
    (part,) = paths.downloads_dir.glob("*.part")
    assert 0 < part.stat().st_size <= size // 2
    assert [m.name for m in ModelRegistry(paths).models()] == ["smollm2-135m"]
    kept = part.stat().st_size
    hub.refusing = False
    info = download(paths, ENTRY)
    assert hub.ranges()[-1].endswith(f"bytes={kept}-")
    assert sha256_file(Path(info.path)) == sha256_file(embedded_model_path())
    assert list(paths.downloads_dir.glob("*.part")) == []
