"""The real app in a real X server (Xvfb) with a real system tray (trayer)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HAVE_DISPLAY_TOOLS = bool(shutil.which("Xvfb") and shutil.which("trayer"))
# .ci/run installs both, so on CI their absence is a failure rather than a skip.
pytestmark = [
    pytest.mark.gui,
    pytest.mark.model,
    pytest.mark.skipif(
        not HAVE_DISPLAY_TOOLS and not os.environ.get("CI"),
        reason="needs Xvfb and trayer (Debian: xvfb trayer)",
    ),
]


@pytest.fixture
def display() -> Iterator[str]:
    number = random.randint(200, 400)
    name = f":{number}"
    xvfb = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 20
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    tray = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--height", "24"],
        env={**os.environ, "DISPLAY": name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # let the tray claim the system-tray selection
    try:
        yield name
    finally:
        tray.terminate()
        xvfb.terminate()
        tray.wait(10)
        xvfb.wait(10)


def test_smoke_in_a_real_window_with_a_tray(display: str, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": display}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "lampdesk", "--data-dir", str(tmp_path / "data"), "--smoke",
         "--screenshot", str(shot)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and report["errors"] == [], (report, done.stderr)
    assert report["tray_available"] is True
    assert report["answer_on_screen"] and report["quick_ask_shown"]
    assert report["quick_ask_answered"], "quick ask, opened from the tray's menu, answers"
    assert report["first_token_ms"] > 0 and report["window_shown_ms"] > 0
    assert report["screenshot_saved"] is True

    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() > 400 and image.height() > 300
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 10, "the window's picture is blank"
