"""Known errors: user mistakes and bad inputs with a message a person can act on.

Anything that is not a :class:`LampdeskError` is a bug and is reported as one.
"""


class LampdeskError(Exception):
    """Base of every error whose message is meant for the user."""

    exit_code = 2


class WrongKeyError(LampdeskError):
    """The passphrase or stored key does not open the profile database."""


class KeyUnavailableError(LampdeskError):
    """No key could be obtained (no keyring entry, no passphrase given)."""


class StoreError(LampdeskError):
    """The profile database is damaged, too new, or cannot be written."""


class ProfileNotFoundError(LampdeskError):
    """The named profile does not exist."""


class ModelError(LampdeskError):
    """The chat or embedding model is missing, truncated or not a model file."""


class PromptTooLongError(LampdeskError):
    """The question alone does not fit the model's context."""


class UsageError(LampdeskError):
    """The command line or an argument is malformed."""


class ProfileBusyError(LampdeskError):
    """Another LampDesk process has the profile open."""


class ImportFileError(LampdeskError):
    """An export file is not one, is damaged, altered or too new, or its passphrase is wrong."""


class SourceError(LampdeskError):
    """A source cannot be taken in: its path is missing or of the wrong kind, or nothing in it
    could be read (the import report says why, file by file)."""


class DamagedProfileError(StoreError):
    """A page of the profile database fails its HMAC or an integrity check: restore a backup
    (``lampdesk profile restore``) or salvage what can be read (``lampdesk doctor --salvage``)."""


class DiskFullError(StoreError):
    """The disk is full (or too full for what was asked): nothing was written."""


class WeakPassphraseError(UsageError):
    """A passphrase for an export file that offline guessing could break."""
