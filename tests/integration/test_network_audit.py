"""Beyond the ask path: learning, sources and export/import open no connection either (the
only connection LampDesk opens is a model download the user starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Cli

pytestmark = [pytest.mark.model, pytest.mark.embedder]


def test_learning_sources_and_export_import_make_no_network_connection(
    cli: Cli, tmp_path: Path
) -> None:
    report = tmp_path / "network-attempts.txt"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "garden.md").write_text("# Garden\n\nIn March I planted tomatoes and basil.\n")
    export = tmp_path / "me.lampdesk"
    cli.env["LAMPDESK_EXPORT_PASSPHRASE"] = "an export passphrase"
    for command in (
        ["remember", "I'm training for a half marathon in April"],
        ["memory", "learn", "I moved to Porto"],
        ["ask", "--max-tokens", "8", "Call me Ana, please."],  # the learner runs after it
        ["source", "add", "folder", str(notes)],
        ["source", "search", "what did I plant in March?"],
        ["profile", "export", str(export)],
        ["profile", "import", str(export), "--as", "copy"],
    ):
        done = cli(*command, guard=report)
        assert done.returncode == 0, (command, done.stderr)
        assert not report.exists(), (command, report.read_text())
