"""The user's walk-through from the foundation issue, through the real command and real parts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import files_containing, snapshot
from tests.integration.conftest import NO_NETWORK, Cli

pytestmark = [pytest.mark.model, pytest.mark.embedder]

SECRETS = ("vegan", "Berlin", "marathon")
JSON_KEYS = {"answer", "items", "messages", "ttft_ms", "tokens"}


def seed(cli: Cli) -> None:
    done = cli(
        "profile", "set", "name=Ana", "diet=vegan", "city=Berlin", "tone=concise and friendly"
    )
    assert done.returncode == 0, done.stderr
    done = cli("remember", "I'm training for a half marathon in April")
    assert done.returncode == 0, done.stderr


def test_walkthrough_streams_personalised_answer_and_stores_no_plaintext(cli: Cli) -> None:
    seed(cli)
    streamed = cli("ask", "--max-tokens", "24", "Suggest a dinner for tonight")
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.strip()

    asked = cli("ask", "--json", "--max-tokens", "16", "How should I prepare for my half marathon?")
    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    assert result.keys() >= JSON_KEYS
    assert isinstance(result["answer"], str) and result["answer"]
    assert result["tokens"] > 0 and result["ttft_ms"] > 0
    (item,) = result["items"]
    assert item["text"] == "I'm training for a half marathon in April"
    assert {"id", "text", "score", "why"} <= item.keys()
    assert {"bm25", "dense"} <= item["why"].keys()
    system, question = result["messages"][0]["content"], result["messages"][-1]["content"]
    assert "vegan" in system and "Berlin" in system
    assert "training for a half marathon in April" in question

    assert files_containing(cli.data_dir, *SECRETS) == []


def test_no_personalize_is_the_bare_baseline(cli: Cli) -> None:
    seed(cli)
    asked = cli(
        "ask", "--json", "--no-personalize", "--max-tokens", "8", "How is my marathon going?"
    )
    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    assert result["items"] == [] and result["personalized"] is False
    sent = json.dumps(result["messages"])
    assert "vegan" not in sent and "Berlin" not in sent and "training for" not in sent


def test_empty_profile_still_answers_and_says_so(cli: Cli) -> None:
    asked = cli("ask", "--max-tokens", "8", "Hello there")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    assert "No profile data was used" in asked.stderr


def test_wrong_passphrase_one_line_error_and_nothing_changes(cli: Cli) -> None:
    seed(cli)
    before = snapshot(cli.data_dir)
    for command in (["ask", "hello"], ["remember", "x"], ["profile", "set", "a=b"]):
        failed = cli(*command, passphrase="not the passphrase")
        assert failed.returncode != 0
        assert failed.stdout == ""
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and "Wrong passphrase" in lines[0], failed.stderr
    assert snapshot(cli.data_dir) == before


def test_whole_ask_path_makes_no_network_connection(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "network-attempts.txt"
    seed(cli)
    asked = cli("ask", "--json", "--max-tokens", "8", "Any tips for my marathon?", guard=report)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["items"], "the dense and sparse path must have run"
    assert not report.exists(), report.read_text()


def test_guard_catches_a_connection(tmp_path: Path) -> None:
    """The audit-hook guard itself works: a connection attempt is reported."""
    report = tmp_path / "attempts.txt"
    code = (
        f"import sys; sys.path.insert(0, {str(NO_NETWORK.parent)!r}); import no_network; "
        f"no_network.install({str(report)!r}); import socket; "
        "socket.socket().connect(('127.0.0.1', 9))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "ConnectionRefusedError" in done.stderr
    assert report.read_text().startswith("socket.connect")


def test_rules_and_request_log(cli: Cli) -> None:
    added = cli("rule", "add", "Never suggest meat", "--block", "meat,steak")
    assert added.returncode == 0, added.stderr
    listed = cli("rule", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"id": 1, "text": "Never suggest meat", "blocked_terms": ["meat", "steak"]}
    ]
    asked = cli("ask", "--json", "--max-tokens", "24", "Name a kind of meat.")
    result = json.loads(asked.stdout)
    assert "Never suggest meat" in result["messages"][0]["content"]
    assert "meat" not in result["answer"].lower() and "steak" not in result["answer"].lower()
    (entry,) = json.loads(cli("log", "--json").stdout)
    assert entry["request_id"] == result["request_id"]
    assert entry["rules_applied"] == [1] and entry["prompt_tokens"] == result["prompt_tokens"]
    assert "question" not in entry and "answer" not in entry
    assert cli("rule", "remove", "1").returncode == 0
    assert cli("rule", "remove", "1").returncode == 2


def test_profile_template_and_settings(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[segments]\npersona = "Hi {mood}"\nprofile = "x"\nitems = "y"\ngeneric = "z"\n')
    refused = cli("template", "set", str(bad))
    assert refused.returncode == 2 and "{mood}" in refused.stderr
    good = tmp_path / "pirate.toml"
    good.write_text(
        '[segments]\npersona = "You are a pirate assistant. Talk like a pirate."\n'
        'profile = "Your captain is {user_name}."\nitems = "{items}"\ngeneric = "Ahoy."\n'
    )
    assert cli("template", "set", str(good)).returncode == 0
    assert cli("settings", "set", "max_tokens=5").returncode == 0
    assert cli("profile", "set", "name=Ana").returncode == 0
    result = json.loads(cli("ask", "--json", "Hello").stdout)
    assert result["messages"][0]["content"].startswith("You are a pirate assistant.")
    assert "Your captain is Ana." in result["messages"][0]["content"]
    assert result["tokens"] <= 5


def test_model_config_sets_how_the_model_is_loaded(cli: Cli) -> None:
    shown = cli("model", "config", "--json")
    assert json.loads(shown.stdout) == {"threads": None, "context_length": 2048}
    too_long = cli("model", "config", "context=100000")
    assert too_long.returncode == 2 and "trained for 8192" in too_long.stderr
    assert cli("model", "config", "threads=none").returncode == 2
    done = cli("model", "config", "threads=1", "context=1024")
    assert done.returncode == 0 and "next start" in done.stdout, done.stderr
    assert json.loads(cli("model", "config", "--json").stdout) == {
        "threads": 1,
        "context_length": 1024,
    }
    seed(cli)
    for n in range(40):  # more remembered than a 1,024-token context can take
        assert (
            cli("remember", f"Note {n}: my marathon training plan says tempo run {n}").returncode
            == 0
        )
    asked = cli("ask", "--json", "What is in my marathon training plan?")
    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    # The prompt fits beside the answer's reserve in the chosen context, and the model answered.
    assert 0 < result["prompt_tokens"] <= 1024 - 512 and result["answer"].strip()
    assert any(d["reason"] == "token budget" for d in result["dropped"])  # 2,048 takes them all
    assert cli("model", "config", "threads=auto").returncode == 0
    assert json.loads(cli("model", "config", "--json").stdout)["threads"] is None
