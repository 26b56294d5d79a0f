import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lampdesk.cli import main
from lampdesk.paths import autostart_file


def test_autostart_on_status_off(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["autostart", "on"]) == 0
    entry = autostart_file()
    text = entry.read_text()
    assert "--minimized" in text and str(data_dir) in text
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert main(["autostart", "status"]) == 0
    assert "Autostart is on" in capsys.readouterr().out
    assert main(["autostart", "off"]) == 0
    assert not entry.exists()


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason="needs desktop-file-utils (Debian)"
)
def test_packaged_desktop_entry_is_valid() -> None:
    entry = Path(__file__).parents[2] / "packaging" / "linux" / "lampdesk.desktop"
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_autostart_from_the_bundle_starts_the_bundle(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path
) -> None:
    bundled = tmp_path / "dist" / "LampDesk" / "LampDesk"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundled))
    assert main(["autostart", "on"]) == 0
    exec_line = next(
        line for line in autostart_file().read_text().splitlines() if line.startswith("Exec=")
    )
    assert shlex.split(exec_line.removeprefix("Exec=")) == [
        str(bundled), "--data-dir", str(data_dir), "--minimized"
    ]  # fmt: skip


LINUX_PACKAGING = Path(__file__).parents[2] / "packaging" / "linux"


@pytest.mark.skipif(not shutil.which("sh"), reason="needs a POSIX shell")
def test_menu_install_and_uninstall(tmp_path: Path) -> None:
    bundle = tmp_path / "Lamp Desk $HOME" / "LampDesk"  # a path that needs quoting in Exec
    bundle.mkdir(parents=True)
    (bundle / "LampDesk").write_text("#!/bin/sh\n")
    (bundle / "LampDesk").chmod(0o755)
    share = Path(os.environ["XDG_DATA_HOME"])
    entry = share / "applications" / "lampdesk.desktop"
    icon = share / "icons" / "hicolor" / "scalable" / "apps" / "lampdesk.svg"

    done = subprocess.run(
        ["sh", str(LINUX_PACKAGING / "install.sh"), str(bundle)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = entry.read_text()
    assert 'Exec="' + str(bundle).replace("$", "\\\\$") + '/LampDesk"\n' in text
    assert f"TryExec={bundle}/LampDesk\n" in text
    assert (
        icon.read_text() == (Path(__file__).parents[2] / "resources/icons/lampdesk.svg").read_text()
    )
    if shutil.which("desktop-file-validate"):
        valid = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True
        )
        assert valid.returncode == 0, valid.stdout + valid.stderr

    done = subprocess.run(
        ["sh", str(LINUX_PACKAGING / "uninstall.sh")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not entry.exists() and not icon.exists()
    assert [p for p in share.rglob("*") if p.is_file()] == []  # no caches left behind


def test_menu_install_refuses_a_folder_without_the_program(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(LINUX_PACKAGING / "install.sh"), str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 1 and "no LampDesk executable" in done.stderr
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "applications").exists()
