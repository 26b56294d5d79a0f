"""The API's bearer token: one per install, in the OS keyring when one is usable."""

from __future__ import annotations

import secrets

from lampdesk.paths import DataPaths, atomic_write
from lampdesk.vault import keys

ACCOUNT = "api-token"


def api_token(paths: DataPaths) -> str:
    """The install's token, made on first use."""
    if keys.keyring_usable():
        import keyring

        token = keyring.get_password(keys.KEYRING_SERVICE, ACCOUNT)
        if not token:
            token = secrets.token_urlsafe(32)
            keyring.set_password(keys.KEYRING_SERVICE, ACCOUNT, token)
        return str(token)
    # No keyring: a file only this user can read (the token holds no user content).
    path = paths.api_token_file
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    token = secrets.token_urlsafe(32)
    paths.ensure_root()
    atomic_write(path, token + "\n")
    return token
