"""The one owner of profile keys.

A profile is keyed either by a random 256-bit raw key kept in the OS keyring (no KDF cost on open)
or by a passphrase that SQLCipher stretches with its own KDF. Scripts may give the passphrase in
``$LAMPDESK_PASSPHRASE``; a terminal or the GUI asks for it otherwise.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from lampdesk.errors import KeyUnavailableError

ENV_PASSPHRASE = "LAMPDESK_PASSPHRASE"
KEYRING_SERVICE = "LampDesk"

#: Asks the user for a passphrase; the argument says what for. ``confirm`` asks twice.
PassphrasePrompt = Callable[[str, bool], str]


class KeyMode(StrEnum):
    KEYRING = "keyring"
    PASSPHRASE = "passphrase"


@dataclass(frozen=True, repr=False)
class ProfileKey:
    """Key material for one SQLCipher database; never printed."""

    mode: KeyMode
    secret: str  # hex of the raw key, or the passphrase

    def pragma_value(self) -> str:
        """The literal that follows ``PRAGMA key =``."""
        if self.mode is KeyMode.KEYRING:
            return f"\"x'{self.secret}'\""
        return "'" + self.secret.replace("'", "''") + "'"

    def __repr__(self) -> str:
        return f"ProfileKey(mode={self.mode.value}, secret=<hidden>)"


def keyring_usable() -> bool:
    """Whether a real OS keyring backend is available (not keyring's 'fail' backend)."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False
        return bool(backend.priority > 0)
    except Exception:
        return False


def _keyring_account(profile_id: str) -> str:
    return f"profile:{profile_id}"


def new_keyring_key(profile_id: str) -> ProfileKey:
    """Make a random raw key for a new profile and store it in the keyring."""
    import keyring

    secret = secrets.token_hex(32)
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_account(profile_id), secret)
    except Exception as exc:  # backends raise their own errors (D-Bus, Windows, macOS)
        raise KeyUnavailableError(
            f"The OS keyring refused to store the profile key: {exc}"
        ) from exc
    return ProfileKey(KeyMode.KEYRING, secret)


def keyring_key(profile_id: str, profile_name: str) -> ProfileKey:
    """Fetch the raw key of an existing keyring-protected profile."""
    import keyring

    try:
        secret = keyring.get_password(KEYRING_SERVICE, _keyring_account(profile_id))
    except Exception as exc:  # backends raise their own errors (D-Bus, Windows, macOS)
        raise KeyUnavailableError(
            f"The OS keyring could not be read for profile {profile_name!r}: {exc}"
        ) from exc
    if not secret:
        raise KeyUnavailableError(
            f"The key of profile {profile_name!r} is missing from the OS keyring "
            f"(service {KEYRING_SERVICE!r}). Without it the profile cannot be opened; "
            "restore the keyring or import a profile export."
        )
    return ProfileKey(KeyMode.KEYRING, secret)


def delete_keyring_key(profile_id: str) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, _keyring_account(profile_id))


def passphrase_key(
    profile_name: str, prompt: PassphrasePrompt | None, *, confirm: bool = False
) -> ProfileKey:
    """A passphrase key from ``$LAMPDESK_PASSPHRASE`` or, failing that, from *prompt*."""
    passphrase = os.environ.get(ENV_PASSPHRASE)
    if passphrase is None:
        if prompt is None:
            raise KeyUnavailableError(
                f"Profile {profile_name!r} needs a passphrase: set {ENV_PASSPHRASE} or run "
                "LampDesk in a terminal or the desktop app."
            )
        passphrase = prompt(f"Passphrase for profile {profile_name!r}", confirm)
    if not passphrase:
        raise KeyUnavailableError("An empty passphrase cannot protect a profile.")
    return ProfileKey(KeyMode.PASSPHRASE, passphrase)


def choose_mode_for_new_profile() -> KeyMode:
    """A passphrase when the user gave one or no keyring exists, the keyring otherwise."""
    if os.environ.get(ENV_PASSPHRASE) is not None:
        return KeyMode.PASSPHRASE
    return KeyMode.KEYRING if keyring_usable() else KeyMode.PASSPHRASE
