"""The one owner of LampDesk's data directories.

Every file LampDesk writes lives below :attr:`DataPaths.root`. Nothing else in the program builds
paths into the data directory; it asks this module.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from lampdesk.errors import DiskFullError, UsageError

APP_NAME = "LampDesk"
ENV_DATA_DIR = "LAMPDESK_DATA_DIR"
ENV_CACHE_DIR = "LAMPDESK_CACHE_DIR"
STAGING_PREFIX = ".staging-"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def _default_root() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def model_cache_dir() -> Path:
    """Files derived from the installed models (the embedder's ONNX graph): never user data,
    remade when missing. ``$LAMPDESK_CACHE_DIR`` or the platform's per-user cache directory."""
    override = os.environ.get(ENV_CACHE_DIR)
    root = Path(override).expanduser() if override else Path(platformdirs.user_cache_dir(APP_NAME))
    return root / "models"


def validate_profile_name(name: str) -> str:
    """Return *name* if it is usable as a profile name, else raise :class:`UsageError`."""
    if not _PROFILE_NAME.match(name) or name.strip() != name:
        raise UsageError(
            f"Profile name {name!r} is not allowed: use 1-64 letters, digits, spaces, '_', '.' or "
            "'-', starting with a letter or digit."
        )
    return name


def ensure_private_dir(path: Path) -> Path:
    """Create *path* (and parents) if needed and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


@dataclass(frozen=True)
class DataPaths:
    """Where one installation keeps its data.

    Resolution order: an explicit ``root`` (``--data-dir``), then ``$LAMPDESK_DATA_DIR``, then the
    platform's per-user data directory.
    """

    root: Path

    @classmethod
    def resolve(cls, override: str | os.PathLike[str] | None = None) -> DataPaths:
        if override is None:
            override = os.environ.get(ENV_DATA_DIR) or None
        root = Path(override).expanduser() if override is not None else _default_root()
        return cls(root.absolute())

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def registry_file(self) -> Path:
        """Names of the profiles and how each is keyed; holds no user content."""
        return self.root / "profiles.json"

    @property
    def models_file(self) -> Path:
        """The user's imported GGUF models (paths and metadata) and which one is in use."""
        return self.root / "models.json"

    @property
    def models_dir(self) -> Path:
        """The user's model folder: GGUF files downloaded from the catalogue (or put here)."""
        return self.root / "models"

    @property
    def downloads_dir(self) -> Path:
        """Unfinished model downloads (resumed from here); never registered as models."""
        return self.models_dir / ".downloads"

    @property
    def download_settings_file(self) -> Path:
        """How model downloads connect (a proxy); nothing about the user."""
        return self.root / "downloads.json"

    @property
    def window_settings_file(self) -> Path:
        """The window's own preferences (close to tray); nothing about the user."""
        return self.root / "window.json"

    @property
    def api_token_file(self) -> Path:
        """The API's bearer token where no OS keyring is available (0600)."""
        return self.root / "api-token"

    @property
    def api_log_file(self) -> Path:
        """One line per API request: method, path, status, time; never user text."""
        return self.root / "logs" / "api.log"

    @property
    def resident_socket(self) -> Path:
        """Where a running LampDesk (window or ``serve``) takes commands from ``lampdesk``."""
        return self.root / "resident.sock"

    def profile_lock(self, profile_id: str) -> Path:
        """Held by the one process that has the profile open (holds no content)."""
        return self.profile_dir(profile_id) / "lock"

    def profile_dir(self, profile_id: str) -> Path:
        return self.profiles_dir / profile_id

    def profile_db(self, profile_id: str) -> Path:
        return self.profile_dir(profile_id) / "profile.db"

    def backups_dir(self, profile_id: str) -> Path:
        """The profile's automatic backups: copies of its database under the same key."""
        return self.profile_dir(profile_id) / "backups"

    def index_dir(self, profile_id: str) -> Path:
        """Chroma's directory for the profile: ids and vectors only, never text."""
        return self.profile_dir(profile_id) / "index"

    def staging_dir(self, token: str) -> Path:
        """A temporary sibling of the profile directories, renamed into place when complete.

        It lies inside the data directory (never the system temp dir), so a rename is atomic and
        nothing half-built ever lands outside the 0700 tree.
        """
        return self.profiles_dir / f"{STAGING_PREFIX}{token}"

    def staging_dirs(self) -> list[Path]:
        """Left-over staging directories (from an import that was killed)."""
        if not self.profiles_dir.is_dir():
            return []
        return sorted(p for p in self.profiles_dir.iterdir() if p.name.startswith(STAGING_PREFIX))

    def profile_dirs(self) -> list[Path]:
        """Every profile directory present on disk, registered or not."""
        if not self.profiles_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.profiles_dir.iterdir()
            if p.is_dir() and not p.name.startswith(STAGING_PREFIX)
        )

    def ensure_root(self) -> Path:
        ensure_private_dir(self.root)
        return ensure_private_dir(self.profiles_dir)

    def ensure_profile_dir(self, profile_id: str) -> Path:
        self.ensure_root()
        return ensure_private_dir(self.profile_dir(profile_id))


def atomic_write(path: Path, content: str | bytes) -> None:
    """Replace *path* with *content* in one step (a sibling temp file renamed over it), mode
    0600: readers see the old file or the new one, never half of one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f"The disk is full: {path} could not be written ({len(data)} bytes needed). "
                "Nothing was changed; free some space and try again."
            ) from exc
        raise
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def autostart_file() -> Path:
    """The XDG autostart entry that starts LampDesk at login (Linux desktops)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "autostart" / "lampdesk.desktop"
