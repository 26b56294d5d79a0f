"""Conversations through the real ``lampdesk`` command: ask in a thread, list, search, export."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.integration.conftest import Cli

pytestmark = [pytest.mark.model, pytest.mark.embedder]


def test_ask_in_a_thread_then_list_search_export_rename_delete(cli: Cli) -> None:
    first = cli("ask", "--json", "--max-tokens", "16", "Suggest a dinner for tonight.")
    assert first.returncode == 0, first.stderr
    asked = json.loads(first.stdout)
    thread_id = asked["thread_id"]
    assert isinstance(thread_id, int)
    follow = cli("ask", "--json", "--max-tokens", "8", "--thread", str(thread_id), "Shorter?")
    assert follow.returncode == 0, follow.stderr
    followed = json.loads(follow.stdout)
    assert followed["thread_id"] == thread_id
    assert {"role": "assistant", "content": asked["answer"]} in followed["messages"]
    assert followed["stopped_by"] == "length" and followed["warnings"]

    listed = json.loads(cli("thread", "list", "--json").stdout)
    assert [(t["id"], t["turns"]) for t in listed] == [(thread_id, 2)]
    word = re.findall(r"[A-Za-z]{6,}", asked["answer"])[0]
    hits = json.loads(cli("thread", "search", "--json", word).stdout)
    assert thread_id in [h["thread_id"] for h in hits]
    exported = cli("thread", "export", str(thread_id), "--format", "markdown").stdout
    assert "## You" in exported and "Shorter?" in exported and asked["answer"] in exported
    as_json = json.loads(cli("thread", "export", str(thread_id), "--format", "json").stdout)
    assert [m["question"] for m in as_json["messages"]] == [
        "Suggest a dinner for tonight.",
        "Shorter?",
    ]
    assert cli("thread", "rename", str(thread_id), "Dinners").returncode == 0
    assert "Dinners" in cli("thread", "list").stdout
    assert cli("thread", "delete", str(thread_id)).returncode == 0
    assert json.loads(cli("thread", "list", "--json").stdout) == []
    missing = cli("thread", "show", str(thread_id))
    assert missing.returncode != 0 and "no conversation" in missing.stderr


def test_chat_keeps_one_thread_across_lines(cli: Cli) -> None:
    assert cli("settings", "set", "max_tokens=12").returncode == 0
    command = [sys.executable, "-m", "lampdesk", "--data-dir", str(cli.data_dir), "chat"]
    done = subprocess.run(
        command,
        input="Suggest a dinner.\nMake it shorter.\n/quit\n",
        env={**cli.env, "LAMPDESK_PASSPHRASE": "correct horse battery staple"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("LampDesk: ") == 2
    (thread,) = json.loads(cli("thread", "list", "--json").stdout)
    assert thread["turns"] == 2 and thread["title"] == "Suggest a dinner."
