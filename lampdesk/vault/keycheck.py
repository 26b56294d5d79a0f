"""A small key check kept beside each profile database, outside it.

When the database does not open, SQLCipher cannot say whether the key is wrong or the file is
damaged (a truncated file and a wrong key fail the same way). This file holds a random salt and
a MAC of it under the profile's key, nothing else: no user data. A passphrase is first stretched
with scrypt (as costly to guess against as the database itself), a raw keyring key is used as
it is (256 random bits cannot be guessed).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from lampdesk.errors import LampdeskError
from lampdesk.paths import atomic_write
from lampdesk.vault.keys import KeyMode, ProfileKey

FILE_NAME = "keycheck.json"
VERSION = 1
_LABEL = b"LampDesk key check v1"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def path_for(db: Path) -> Path:
    """The key check of the database at *db* (its sibling)."""
    return db.with_name(FILE_NAME)


def _mac(key: ProfileKey, salt: bytes, kdf: str) -> str:
    if kdf == "scrypt":
        material = hashlib.scrypt(
            key.secret.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT
        )
    else:
        material = bytes.fromhex(key.secret)
    return hmac.new(material, _LABEL + salt, hashlib.sha256).hexdigest()


def write(db: Path, key: ProfileKey) -> None:
    """Record *key* as the key of the database at *db*."""
    salt = secrets.token_bytes(16)
    kdf = "scrypt" if key.mode is KeyMode.PASSPHRASE else "raw"
    data = {"version": VERSION, "kdf": kdf, "salt": salt.hex(), "mac": _mac(key, salt, kdf)}
    atomic_write(path_for(db), json.dumps(data) + "\n")


def matches(db: Path, key: ProfileKey) -> bool | None:
    """Whether *key* is the one recorded for *db*; ``None`` when no usable check is there."""
    try:
        data = json.loads(path_for(db).read_text(encoding="utf-8"))
        kdf, salt, mac = str(data["kdf"]), bytes.fromhex(data["salt"]), str(data["mac"])
        wanted = "scrypt" if key.mode is KeyMode.PASSPHRASE else "raw"
        if data.get("version") != VERSION or kdf != wanted:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        return hmac.compare_digest(_mac(key, salt, kdf), mac)
    except ValueError:  # a raw key that is not hex
        return False


def ensure(db: Path, key: ProfileKey) -> None:
    """Write the check if it is missing or names another key (after an interrupted rekey)."""
    if matches(db, key) is not True:
        with contextlib.suppress(
            OSError, LampdeskError
        ):  # the check only sharpens a message; never fatal
            write(db, key)
