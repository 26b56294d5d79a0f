"""Issue 19, acceptance 2: a full disk, on a real small file system (an 8 MB tmpfs).

The data directory lives on the tmpfs; the source to import lies elsewhere. Where the test
cannot mount (not root, no tmpfs), it is skipped and says why.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lampdesk.cli import main
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.sources import importer
from lampdesk.vault.portable import canonical_dump
from lampdesk.vault.profiles import Vault
from tests.conftest import snapshot

SIZE = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {SIZE} tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


@pytest.fixture(autouse=True)
def _no_resident(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMPDESK_NO_RESIDENT", "1")


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data_dir), *args])
    return code, out.getvalue(), err.getvalue()


def make_profile(data_dir: Path) -> dict[str, list[list[object]]]:
    vault = Vault(DataPaths(data_dir))
    _, store = vault.create("default")
    with store:
        profile = Profile(store)
        for i in range(50):
            profile.add_memory(f"memory {i} of the profile that must survive")
        return canonical_dump(store)


def make_source(folder: Path, megabytes: int) -> Path:
    """Text files of random words (so full-text indexes grow with them)."""
    folder.mkdir()
    rng = random.Random(7)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(5000)
    ]
    for n in range(megabytes * 32):  # about 32 KB a file
        paragraphs = [" ".join(rng.choice(words) for _ in range(60)) for _ in range(60)]
        (folder / f"note-{n}.txt").write_text("\n\n".join(paragraphs) + "\n")
    return folder


def dump(data_dir: Path) -> dict[str, list[list[object]]]:
    _, store = Vault(DataPaths(data_dir)).open("default")
    with store:
        assert store.integrity_problems() == []
        return canonical_dump(store)


def test_an_import_too_big_for_the_disk_is_refused_before_it_starts(
    small_disk: Path, tmp_path: Path
) -> None:
    data_dir = small_disk / "data"
    before = make_profile(data_dir)
    source = make_source(tmp_path / "notes", 4)
    code, _, err = run(data_dir, "source", "add", "folder", str(source))
    assert code == 2 and "needs about" in err and "MB" in err, err
    assert "internal error" not in err
    assert dump(data_dir) == before
    assert run(data_dir, "memory", "list")[0] == 0


def test_an_import_that_fills_the_disk_changes_nothing(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = small_disk / "data"
    before = make_profile(data_dir)
    source = make_source(tmp_path / "notes", 4)
    # The estimate would refuse this import; without it, SQLite itself meets the full disk.
    monkeypatch.setattr(importer, "require_free_space", lambda *_args: None)
    code, _, err = run(data_dir, "source", "add", "folder", str(source))
    assert code == 2, err
    assert "disk is full" in err and "Nothing was changed" in err, err
    assert "internal error" not in err and "no transaction is active" not in err
    assert dump(data_dir) == before
    code, out, err = run(data_dir, "memory", "list")
    assert code == 0 and "memory 49 of the profile" in out, err
    code, out, _ = run(data_dir, "source", "list")
    assert code == 0


def test_a_backup_that_would_not_fit_is_not_started(small_disk: Path) -> None:
    data_dir = small_disk / "data"
    make_profile(data_dir)
    vault = Vault(DataPaths(data_dir))
    folder = vault.paths.backups_dir(vault.registry.get("default").id)
    shutil.rmtree(folder, ignore_errors=True)
    ballast = small_disk / "ballast"
    free = shutil.disk_usage(small_disk).free
    db_size = vault.paths.profile_db(vault.registry.get("default").id).stat().st_size
    with open(ballast, "wb") as handle:
        handle.write(b"\0" * (free - db_size // 2))
    before = snapshot(data_dir)
    code, _, err = run(data_dir, "profile", "backup")
    before.setdefault(next(k for k in snapshot(data_dir) if k.endswith("/lock")), b"")
    assert code == 2 and "needs about" in err and "nothing was started" in err, err
    assert not folder.exists() or list(folder.iterdir()) == []
    assert snapshot(data_dir) == before
    assert run(data_dir, "memory", "list")[0] == 0
