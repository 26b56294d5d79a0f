"""Keyring-protected profiles through a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import files_containing
from tests.integration.conftest import HAVE_SECRET_SERVICE, run_with_secret_service

pytestmark = pytest.mark.skipif(
    not HAVE_SECRET_SERVICE and not os.environ.get("CI"),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: gnome-keyring dbus-x11)",
)

SCRIPT = """
set -u
echo -n keyring-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null
lampdesk() { "$PY" -m lampdesk --data-dir "$DATA" "$@"; }
lampdesk profile set diet=vegan city=Berlin && echo STEP-set-ok
lampdesk profile show --json > "$OUT/show.json" && echo STEP-show-ok
"$PY" -c 'import keyring; print("BACKEND", type(keyring.get_keyring()).__module__)'
"$PY" -c '
import json, os, keyring
entry = json.load(open(os.environ["DATA"] + "/profiles.json"))["profiles"][0]
keyring.delete_password("LampDesk", "profile:" + entry["id"])
'
lampdesk profile show 2> "$OUT/missing.err"; echo "STEP-missing-rc=$?"
"""


def test_profile_keyed_from_the_os_keyring(tmp_path: Path) -> None:
    done, data, out = run_with_secret_service(SCRIPT, tmp_path)
    log = done.stdout + done.stderr
    assert "BACKEND keyring.backends.SecretService" in done.stdout, log
    assert "STEP-set-ok" in done.stdout and "STEP-show-ok" in done.stdout, log
    shown = (out / "show.json").read_text()
    assert '"key": "keyring"' in shown and '"diet": "vegan"' in shown
    assert files_containing(data, "vegan", "Berlin") == []
    assert "STEP-missing-rc=2" in done.stdout, log
    assert "missing from the OS keyring" in (out / "missing.err").read_text()
