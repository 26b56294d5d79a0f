"""Acceptance 1 and 2 through the real parts: no plaintext anywhere, and an export round trip that
answers the same."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk
from lampdesk.inference.engine import GenerationSettings
from lampdesk.paths import DataPaths
from lampdesk.profile import Interaction, Profile
from lampdesk.vault import portable
from lampdesk.vault.profiles import Vault
from tests.integration.conftest import Cli
from tests.vault_helpers import EXPORT_PASSPHRASE, FAST_KDF, dump_profile, fill

pytestmark = [pytest.mark.model, pytest.mark.embedder]
SHORT = GenerationSettings(max_tokens=8)
CANARY = "Xylocanary7319Quokka"


def canary_hits(*directories: Path) -> list[str]:
    """Files holding the canary in UTF-8 or UTF-16 (either byte order), any letter case."""
    needles = [
        form.encode(encoding)
        for form in (CANARY, CANARY.lower(), CANARY.upper())
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    ]
    hits = []
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file() and not path.is_symlink():
                blob = path.read_bytes()
                hits += [f"{path}: {n!r}" for n in needles if n in blob]
    return hits


def test_canary_entered_every_way_is_in_no_file(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Any, embedder: Any
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    cli = Cli(data_dir, {**os.environ, "LAMPDESK_EXPORT_PASSPHRASE": EXPORT_PASSPHRASE})
    outputs = []

    # attribute, memory, rule and template through the real command
    outputs.append(cli("profile", "set", f"pet={CANARY}"))
    outputs.append(cli("remember", f"My secret word is {CANARY}"))
    outputs.append(cli("rule", "add", f"Never explain {CANARY}", "--block", CANARY))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    template = inputs / "mine.toml"
    template.write_text(
        f'[segments]\npersona = "You serve the {CANARY} club."\nprofile = "User: {{user_name}}."\n'
        'items = "{items}"\ngeneric = "Be helpful."\n'
    )
    outputs.append(cli("template", "set", str(template)))
    # a chat question (through retrieval, Chroma and the model), an answer, feedback
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    session = app.open()
    result = session.assistant.ask(f"What does {CANARY} mean to me?", settings=SHORT)
    assert result.items, "the question went through retrieval"
    # The model cannot be made to say the canary, so an answer holding it is recorded directly.
    interaction_id = session.profile.record_interaction(
        Interaction(f"Say {CANARY}", f"{CANARY}!", True, "test", 1, 1, 1.0, 2.0, False)
    )
    session.profile.record_feedback(interaction_id, "edit", f"better: {CANARY}")
    assert CANARY in result.messages[0]["content"], "the template and rule were used"
    session.close()
    # an import (made elsewhere), rebuilt into the index by the real command
    elsewhere = Vault(DataPaths(tmp_path / "elsewhere"))
    entry, store = elsewhere.create("travel")
    with store:
        fill(Profile(store), marker=f" {CANARY}")
        exported = tmp_path / "travel.lampdesk"
        portable.write_export_file(
            exported, portable.export_bytes(store, entry.name, EXPORT_PASSPHRASE, FAST_KDF)
        )
    outputs.append(cli("profile", "import", str(exported)))
    outputs.append(cli("profile", "import", str(exported), "--merge", "default", "--no-index"))
    outputs.append(cli("doctor"))
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert CANARY not in done.stderr and CANARY not in done.stdout

    outputs.append(cli("profile", "backup"))
    outputs.append(cli("--profile", "travel", "profile", "backup"))
    for done in outputs[-2:]:
        assert done.returncode == 0, done.stderr

    shown = cli("--profile", "travel", "memory", "list")
    assert CANARY in shown.stdout, "the canary really is stored"
    assert (data_dir / "profiles").is_dir() and any(data_dir.rglob("chroma.sqlite3"))
    # backups (taken at close and by hand) hold the canary too, encrypted like the profile
    backup_dirs = sorted(data_dir.glob("profiles/*/backups"))
    assert len(backup_dirs) == 2 and all(any(d.glob("*.db")) for d in backup_dirs)
    assert canary_hits(*backup_dirs) == []
    assert canary_hits(data_dir, temp, exported) == []


def test_export_import_round_trip_answers_the_same(
    data_dir: Path, tmp_path: Path, engine: Any, embedder: Any
) -> None:
    question = "What should I eat before my half marathon?"
    app = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder)
    session = app.open()
    fill(session.profile)
    session.assistant.remember("I am allergic to peanuts")
    before = [(i.id, i.text) for i in session.assistant.ask(question, settings=SHORT).items]
    session.close()
    assert before

    env = {**os.environ, "LAMPDESK_EXPORT_PASSPHRASE": EXPORT_PASSPHRASE}
    exported = tmp_path / "profile.lampdesk"
    done = Cli(data_dir, env)("profile", "export", str(exported))
    assert done.returncode == 0, done.stderr
    fresh = tmp_path / "fresh"
    done = Cli(fresh, env)("profile", "import", str(exported))
    assert done.returncode == 0, done.stderr
    assert "Rebuilding the search index: embedding 3 memories" in done.stderr

    assert dump_profile(fresh, "default") == dump_profile(data_dir, "default")
    other = LampDesk(DataPaths(fresh), engine=engine, embedder=embedder).open(create=False)
    try:
        assert other.assistant.retriever.index.count() == other.profile.memory_count()
        after = [(i.id, i.text) for i in other.assistant.ask(question, settings=SHORT).items]
    finally:
        other.close()
    assert after == before
