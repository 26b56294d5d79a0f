from pathlib import Path

import pytest

from lampdesk.errors import UsageError
from lampdesk.paths import DataPaths, validate_profile_name


def test_override_beats_environment(tmp_path: Path) -> None:
    assert DataPaths.resolve(tmp_path / "x").root == tmp_path / "x"


def test_environment_beats_platform_default(data_dir: Path) -> None:
    assert DataPaths.resolve().root == data_dir


def test_platform_default_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAMPDESK_DATA_DIR")
    root = DataPaths.resolve().root
    assert root.name == "LampDesk"
    assert root.is_relative_to(tmp_path)


def test_folders_are_private(data_dir: Path) -> None:
    paths = DataPaths.resolve()
    folder = paths.ensure_profile_dir("abc")
    for path in (paths.root, paths.profiles_dir, folder):
        assert path.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("name", ["", " lead", "a/b", "../x", "x" * 65, ".hidden"])
def test_bad_profile_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        validate_profile_name(name)


def test_good_profile_name() -> None:
    assert validate_profile_name("Work 2") == "Work 2"
