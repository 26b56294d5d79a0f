"""Several profiles through the real ``lampdesk`` command."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.integration.conftest import Cli


def names(cli: Cli) -> list[tuple[str, bool]]:
    done = cli("profile", "list", "--json")
    assert done.returncode == 0, done.stderr
    return [(p["name"], p["active"]) for p in json.loads(done.stdout)]


def test_create_use_rename_delete(cli: Cli) -> None:
    assert cli("remember", "default fact").returncode == 0
    assert cli("profile", "create", "work", "--passphrase").returncode == 0
    assert cli("profile", "create", "work").returncode == 2
    assert cli("profile", "use", "work").returncode == 0
    assert cli("remember", "work fact").returncode == 0  # goes to the active profile
    assert names(cli) == [("default", False), ("work", True)]
    listed = cli("memory", "list")
    assert "work fact" in listed.stdout and "default fact" not in listed.stdout
    assert "default fact" in cli("--profile", "default", "memory", "list").stdout
    env_cli = Cli(cli.data_dir, {**os.environ, "LAMPDESK_PROFILE": "default"})
    assert "default fact" in env_cli("memory", "list").stdout

    assert cli("profile", "rename", "work", "job").returncode == 0
    assert names(cli) == [("default", False), ("job", True)]
    assert "work fact" in cli("memory", "list").stdout

    refused = cli("profile", "delete", "job")  # no terminal to confirm in
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert cli("profile", "delete", "job", "--yes").returncode == 0
    assert names(cli) == [("default", False)]
    assert len(list((cli.data_dir / "profiles").iterdir())) == 1
    missing = cli("profile", "delete", "job", "--yes")
    assert missing.returncode == 2 and "no profile named 'job'" in missing.stderr


def test_export_refuses_to_overwrite_without_force(cli: Cli, tmp_path: Path) -> None:
    assert cli("remember", "a fact").returncode == 0
    strong = "plum orbit kettle meadow"
    env_cli = Cli(cli.data_dir, {**os.environ, "LAMPDESK_EXPORT_PASSPHRASE": strong})
    target = tmp_path / "export.lampdesk"
    target.write_bytes(b"keep me")
    refused = env_cli("profile", "export", str(target))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert target.read_bytes() == b"keep me"
    assert env_cli("profile", "export", str(target), "--force").returncode == 0
    assert target.read_bytes().startswith(b"LAMPDESK-PROFILE")


def test_import_of_a_file_from_a_newer_lampdesk(cli: Cli, tmp_path: Path) -> None:
    newer = tmp_path / "newer.lampdesk"
    newer.write_bytes(b"LAMPDESK-PROFILE\x00\x07" + bytes(200))
    done = cli("profile", "import", str(newer))
    assert done.returncode == 2
    assert "made by a newer LampDesk" in done.stderr
    assert not cli.data_dir.exists()
