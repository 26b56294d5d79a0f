import shutil
import subprocess
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
