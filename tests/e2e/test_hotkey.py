"""The system-wide quick-ask hotkey in a real X server (Xvfb), sent by xdotool while another
window has focus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HAVE_TOOLS = bool(shutil.which("Xvfb") and shutil.which("xdotool"))
pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not HAVE_TOOLS and not os.environ.get("CI"), reason="needs Xvfb and xdotool (Debian)"
    ),
]
PROBE = Path(__file__).with_name("hotkey_probe.py")


@pytest.fixture
def display() -> Iterator[str]:
    """A private X server on a free display number (Xvfb picks it: -displayfd)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(30)


def test_global_hotkey_opens_quick_ask_over_another_window(display: str) -> None:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("XDG_SESSION_TYPE", None)
    probe = subprocess.Popen(
        [sys.executable, str(PROBE), "Ctrl+Shift+F9"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert probe.stdout is not None
        first = probe.stdout.readline().strip()
        assert first == "READY", (first, probe.stderr.read() if probe.stderr else "")
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--name", "other-window"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        other = found.stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", other], env=env, timeout=60, check=True)
        focused = subprocess.run(
            ["xdotool", "getwindowfocus"], env=env, capture_output=True, text=True, check=True
        )
        assert focused.stdout.strip() == other  # the key goes to another window, not ours
        subprocess.run(["xdotool", "key", "ctrl+shift+F9"], env=env, timeout=60, check=True)
        report = json.loads(probe.stdout.readline())
        assert report == {"popup_visible": True, "hotkey": "Ctrl+Shift+F9"}
        assert probe.wait(60) == 0
    finally:
        if probe.poll() is None:
            probe.kill()
        probe.communicate()  # and the pipes are closed
