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
#: The new passphrase for ``profile passphrase`` / ``profile rekey`` in scripts.
ENV_NEW_PASSPHRASE = "LAMPDESK_NEW_PASSPHRASE"
#: The passphrase of an export file for ``profile export`` / ``profile import`` in scripts.
ENV_EXPORT_PASSPHRASE = "LAMPDESK_EXPORT_PASSPHRASE"
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
    except Exception as exc:  # keyring's or a backend's own error: no usable keyring
        if _is_keyring_error(exc) or _is_backend_error(exc):
            return False
        raise  # LampDesk's bug or Python's (TypeError, AttributeError...): shown as a bug


def _keyring_account(profile_id: str, *, pending: bool = False) -> str:
    # A key being rolled in (rekey) waits under its own account until the database uses it, so
    # a crash between the two steps never leaves a database whose key is nowhere.
    return f"profile:{profile_id}" + (":pending" if pending else "")


def _set_secret(profile_id: str, secret: str, *, pending: bool = False) -> None:
    import keyring

    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_account(profile_id, pending=pending), secret)
    except Exception as exc:  # backends raise their own errors (D-Bus, Windows, macOS)
        raise KeyUnavailableError(
            f"The OS keyring refused to store the profile key: {exc}"
        ) from exc


def new_keyring_key(profile_id: str, *, pending: bool = False) -> ProfileKey:
    """Make a random raw key and store it in the keyring (with *pending*, as the next key)."""
    secret = secrets.token_hex(32)
    _set_secret(profile_id, secret, pending=pending)
    return ProfileKey(KeyMode.KEYRING, secret)


def pending_keyring_key(profile_id: str) -> ProfileKey | None:
    """The key of an unfinished rekey, if the keyring holds one."""
    import keyring

    try:
        secret = keyring.get_password(KEYRING_SERVICE, _keyring_account(profile_id, pending=True))
    except Exception as exc:  # no keyring at all: then there is no pending key either
        if _is_keyring_error(exc) or _is_backend_error(exc):
            return None
        raise
    return ProfileKey(KeyMode.KEYRING, secret) if secret else None


def promote_pending_key(profile_id: str, key: ProfileKey) -> None:
    """Make the pending key the profile's key, then drop the pending entry."""
    _set_secret(profile_id, key.secret)
    delete_keyring_key(profile_id, pending=True)


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


def delete_keyring_key(profile_id: str, *, pending: bool = False) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, _keyring_account(profile_id, pending=pending))


def delete_all_keyring_keys(profile_id: str) -> None:
    """Remove the profile's key and any pending one (a deleted profile leaves no secret)."""
    if not keyring_usable():
        return
    delete_keyring_key(profile_id)
    delete_keyring_key(profile_id, pending=True)


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


def new_passphrase_key(profile_name: str, prompt: PassphrasePrompt | None) -> ProfileKey:
    """The new passphrase of a profile: ``$LAMPDESK_NEW_PASSPHRASE`` or asked twice."""
    passphrase = os.environ.get(ENV_NEW_PASSPHRASE)
    if passphrase is None:
        if prompt is None:
            raise KeyUnavailableError(
                f"A new passphrase for profile {profile_name!r} is needed: set "
                f"{ENV_NEW_PASSPHRASE} or run LampDesk in a terminal."
            )
        passphrase = prompt(f"New passphrase for profile {profile_name!r}", True)
    if not passphrase:
        raise KeyUnavailableError("An empty passphrase cannot protect a profile.")
    return ProfileKey(KeyMode.PASSPHRASE, passphrase)


def export_passphrase(prompt: PassphrasePrompt | None, *, confirm: bool) -> str:
    """The passphrase of an export file: ``$LAMPDESK_EXPORT_PASSPHRASE`` or asked."""
    passphrase = os.environ.get(ENV_EXPORT_PASSPHRASE)
    if passphrase is None:
        if prompt is None:
            raise KeyUnavailableError(
                f"The export file needs a passphrase: set {ENV_EXPORT_PASSPHRASE} or run "
                "LampDesk in a terminal."
            )
        passphrase = prompt("Passphrase of the export file", confirm)
    if not passphrase:
        raise KeyUnavailableError("An empty passphrase cannot protect an export file.")
    if confirm:  # a new export file: its passphrase must resist offline guessing
        from lampdesk.vault.strength import check_export_passphrase

        check_export_passphrase(passphrase)
    return passphrase


def choose_mode_for_new_profile() -> KeyMode:
    """A passphrase when the user gave one or no keyring exists, the keyring otherwise."""
    if os.environ.get(ENV_PASSPHRASE) is not None:
        return KeyMode.PASSPHRASE
    return KeyMode.KEYRING if keyring_usable() else KeyMode.PASSPHRASE


def _is_keyring_error(exc: BaseException) -> bool:
    from keyring.errors import KeyringError

    return isinstance(exc, KeyringError)


def _is_backend_error(exc: BaseException) -> bool:
    """An error of a keyring backend's own transport (D-Bus, Windows, macOS), not LampDesk's."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] not in ("lampdesk", "builtins")
