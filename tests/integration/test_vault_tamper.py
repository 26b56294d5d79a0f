"""Acceptance 3 and 4: altered or truncated export files and wrong passphrases change nothing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lampdesk.errors import ImportFileError
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault import portable
from lampdesk.vault.profiles import Vault
from tests.conftest import snapshot
from tests.integration.conftest import Cli
from tests.vault_helpers import EXPORT_PASSPHRASE, FAST_KDF, fill

CLEAR_MESSAGES = (
    "not a LampDesk profile export",
    "not a usable LampDesk profile export",
    "passphrase is wrong, or the file was damaged or altered",
    "made by a newer LampDesk",  # a flipped bit in the version field
)


def export_file(data_dir: Path) -> bytes:
    vault = Vault(DataPaths(data_dir))
    entry, store = vault.open_or_create("default")
    with store:
        fill(Profile(store))
        return portable.export_bytes(store, entry.name, EXPORT_PASSPHRASE, FAST_KDF)


def assert_rejected(vault: Vault, data: bytes, target: str | None) -> None:
    with pytest.raises(ImportFileError) as caught:
        portable.import_profile(
            vault, data, EXPORT_PASSPHRASE, as_name=None if target else "new", merge=target
        )
    assert any(m in str(caught.value) for m in CLEAR_MESSAGES), str(caught.value)


@pytest.mark.parametrize("target", [None, "default"], ids=["as-new", "merge"])
def test_every_flipped_byte_and_truncation_is_rejected(data_dir: Path, target: str | None) -> None:
    data = export_file(data_dir)
    vault = Vault(DataPaths(data_dir))
    before = snapshot(data_dir)
    rng = random.Random(3)
    # 200 positions spread over the whole file (header, body and tag), each with a random bit.
    positions = sorted({round(i * (len(data) - 1) / 199) for i in range(200)})
    assert len(positions) == 200
    for position in positions:
        altered = bytearray(data)
        altered[position] ^= 1 << rng.randrange(8)
        assert_rejected(vault, bytes(altered), target)
    for length in sorted({round(i * (len(data) - 1) / 19) for i in range(20)}):
        assert_rejected(vault, data[:length], target)
    assert snapshot(data_dir) == before
    assert vault.names() == ["default"]


def test_cli_rejects_an_altered_file_with_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    assert cli("remember", "a fact to export").returncode == 0
    exported = tmp_path / "profile.lampdesk"
    env_cli = Cli(cli.data_dir, {**cli.env, "LAMPDESK_EXPORT_PASSPHRASE": EXPORT_PASSPHRASE})
    done = env_cli("profile", "export", str(exported))
    assert done.returncode == 0, done.stderr
    assert exported.stat().st_mode & 0o777 == 0o600
    altered = bytearray(exported.read_bytes())
    altered[len(altered) // 2] ^= 0x10
    bad = tmp_path / "altered.lampdesk"
    bad.write_bytes(bytes(altered))
    before = snapshot(cli.data_dir)
    for command in (["--as", "copy"], ["--merge", "default"]):
        failed = env_cli("profile", "import", str(bad), *command)
        assert failed.returncode == 2 and failed.stdout == ""
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and "damaged or altered" in lines[0], failed.stderr
    assert snapshot(cli.data_dir) == before


def test_wrong_passphrases_on_open_import_and_rekey(cli: Cli, tmp_path: Path) -> None:
    assert cli("remember", "a fact to keep").returncode == 0
    env = {**cli.env, "LAMPDESK_EXPORT_PASSPHRASE": EXPORT_PASSPHRASE}
    exported = tmp_path / "profile.lampdesk"
    assert Cli(cli.data_dir, env)("profile", "export", str(exported)).returncode == 0
    before = snapshot(cli.data_dir)

    opened = cli("memory", "list", passphrase="wrong")
    assert opened.returncode == 2 and "Wrong passphrase" in opened.stderr

    wrong_export = Cli(cli.data_dir, {**env, "LAMPDESK_EXPORT_PASSPHRASE": "wrong"})
    imported = wrong_export("profile", "import", str(exported), "--as", "copy")
    assert imported.returncode == 2 and "passphrase is wrong" in imported.stderr

    new = Cli(cli.data_dir, {**env, "LAMPDESK_NEW_PASSPHRASE": "new passphrase"})
    for command in (["profile", "rekey"], ["profile", "passphrase"]):
        rekeyed = new(*command, passphrase="wrong")
        assert rekeyed.returncode == 2 and "Wrong passphrase" in rekeyed.stderr
    assert snapshot(cli.data_dir) == before

    assert new("profile", "passphrase").returncode == 0
    assert cli("memory", "list").returncode == 2
    listed = cli("memory", "list", passphrase="new passphrase")
    assert listed.returncode == 0 and "a fact to keep" in listed.stdout
