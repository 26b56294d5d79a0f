"""Acceptance 7 and the key moves, through a real Secret Service (gnome-keyring on a private D-Bus):
create with the keyring, rekey, move to a passphrase and back, finish an interrupted rekey, delete
the profile and with it its keyring entries."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import files_containing
from tests.integration.conftest import run_with_secret_service
from tests.integration.test_keyring import pytestmark as keyring_marks

pytestmark = keyring_marks

SCRIPT = r"""
set -u
echo -n keyring-login | gnome-keyring-daemon --unlock --components=secrets >/dev/null
lampdesk() { "$PY" -m lampdesk --data-dir "$DATA" --profile k "$@"; }
secrets() {
  "$PY" -c '
import json, os, keyring
entry = json.load(open(os.environ["DATA"] + "/profiles.json"))["profiles"][0]
main = keyring.get_password("LampDesk", "profile:" + entry["id"])
pending = keyring.get_password("LampDesk", "profile:" + entry["id"] + ":pending")
print("SECRETS", entry["key_mode"], "main" if main else "-", "pending" if pending else "-")
'
}
lampdesk profile create k --keyring && echo STEP-created
lampdesk remember "I keep bees on the roof" >/dev/null && echo STEP-remembered
secrets
lampdesk profile rekey && lampdesk memory list | grep -q bees && echo STEP-rekeyed
secrets
LAMPDESK_PASSPHRASE=pp1 LAMPDESK_NEW_PASSPHRASE=pp1 lampdesk profile passphrase && echo STEP-to-pass
secrets
lampdesk memory list 2>/dev/null; echo "STEP-no-passphrase-rc=$?"
LAMPDESK_PASSPHRASE=pp1 lampdesk memory list | grep -q bees && echo STEP-pass-open
LAMPDESK_PASSPHRASE=pp1 lampdesk profile rekey --to keyring && echo STEP-to-keyring
secrets
lampdesk memory list | grep -q bees && echo STEP-keyring-open
# A rekey killed after the database took the new key but before the keyring did:
"$PY" -c '
import json, os
from pathlib import Path
from lampdesk.paths import DataPaths
from lampdesk.vault import keys
from lampdesk.vault.profiles import Vault
vault = Vault(DataPaths(Path(os.environ["DATA"])))
entry, store = vault.open("k")
store.rekey(keys.new_keyring_key(entry.id, pending=True))
store.close()
'
secrets
lampdesk memory list | grep -q bees && echo STEP-recovered
secrets
lampdesk doctor --json > "$OUT/doctor.json"; echo "STEP-doctor-rc=$?"
left() {
  "$PY" -c '
from keyring.backends import SecretService
items = [i for i in SecretService.Keyring().get_preferred_collection().get_all_items()
         if i.get_attributes().get("service") == "LampDesk"]
print("LEFT", len(items))
'
}
left
lampdesk profile delete k --yes && echo STEP-deleted
left
"""


def test_keys_move_between_keyring_and_passphrase_and_go_with_the_profile(tmp_path: Path) -> None:
    done, data, out = run_with_secret_service(SCRIPT, tmp_path)
    log = done.stdout + done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith(("STEP", "SECRETS"))]
    assert steps == [
        "STEP-created",
        "STEP-remembered",
        "SECRETS keyring main -",
        "STEP-rekeyed",
        "SECRETS keyring main -",
        "STEP-to-pass",
        "SECRETS passphrase - -",
        "STEP-no-passphrase-rc=2",
        "STEP-pass-open",
        "STEP-to-keyring",
        "SECRETS keyring main -",
        "STEP-keyring-open",
        "SECRETS keyring main pending",
        "STEP-recovered",
        "SECRETS keyring main -",
        "STEP-doctor-rc=0",
        "STEP-deleted",
    ], log
    left = [line for line in done.stdout.splitlines() if line.startswith("LEFT")]
    assert left == ["LEFT 1", "LEFT 0"], log
    assert '"ok": true' in (out / "doctor.json").read_text()
    assert not (data / "profiles").exists() or not any((data / "profiles").iterdir())
    assert files_containing(data, "bees") == []
