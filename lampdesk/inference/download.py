"""Model downloads from the Hugging Face hub: the one network connection LampDesk ever opens.

A download is started by the user, for one catalogue entry, and goes to the hub address shown
before it starts (``$HF_ENDPOINT``, else https://huggingface.co) and the file servers that hub
redirects to (for huggingface.co: its own ``*.huggingface.co`` and ``*.hf.co`` hosts). It goes
through ``huggingface_hub``: a HEAD on the file's ``resolve`` URL gives the commit, the file's
size and its SHA-256 (``X-Linked-Size``, ``X-Linked-Etag``), then a GET streams the file (with a
``Range`` header when a part is already here). ``huggingface_hub``'s HTTP client is given a
request hook that refuses every request made outside a download, or to any other host. No token,
no telemetry and no identifier is sent: the user agent is ``LampDesk/VERSION``.

The file grows in ``models/.downloads/<file>.<sha>.part`` (resumed when a download was cut off),
is checked against the hub's SHA-256, renamed into the model folder, and only then goes through
the same validation as ``lampdesk model add``. A cancel, a wrong hash, a full disk or a refused
file removes the part; nothing unfinished is ever registered.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import ipaddress
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from lampdesk import __version__
from lampdesk.errors import ModelError
from lampdesk.inference.catalog import CatalogEntry
from lampdesk.inference.models import ModelInfo, ModelRegistry
from lampdesk.paths import DataPaths, atomic_write, ensure_private_dir

DEFAULT_ENDPOINT = "https://huggingface.co"
ENV_ENDPOINT = "HF_ENDPOINT"
REVISION = "main"
#: Hosts the hub redirects file downloads to, beside the endpoint's own host.
HUB_FILE_DOMAINS = {"huggingface.co": ("huggingface.co", "hf.co")}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
METADATA_TIMEOUT = 30.0
#: Room asked for beyond the bytes still to come (the file system's own bookkeeping).
DISK_SLACK = 16 * 1024 * 1024
HASH_BLOCK = 4 * 1024 * 1024
PROXY_SCHEMES = ("http", "https")


class DownloadError(ModelError):
    """A download could not be done; the message says why and what was kept (nothing, or a
    part that the next download of the same model resumes)."""


class DownloadCancelled(DownloadError):
    """The user cancelled the download; nothing of it is left."""


@dataclass(frozen=True)
class Progress:
    """``phase``: ``connecting``, ``downloading`` or ``verifying``; bytes so far of ``total``."""

    phase: str
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


def hub_endpoint() -> str:
    """The hub LampDesk downloads from: ``$HF_ENDPOINT``, else huggingface.co."""
    endpoint = (os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"{ENV_ENDPOINT}={endpoint!r} is not an http(s) address.")
    return endpoint


def _file_domains(endpoint: str) -> tuple[str, ...]:
    host = urlsplit(endpoint).hostname or ""
    return HUB_FILE_DOMAINS.get(host, (host,))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


def host_allowed(host: str, endpoint: str) -> bool:
    """Whether a download from *endpoint* may connect to *host*: the endpoint's own host, or
    (for a named host) its file servers' subdomains."""
    own = urlsplit(endpoint).hostname or ""
    if host == own:
        return True
    if _is_ip(own):
        return False
    return any(host == d or host.endswith("." + d) for d in _file_domains(endpoint))


def shown_hosts(endpoint: str) -> str:
    """The hosts a download connects to, as the user is told before it starts."""
    own = urlsplit(endpoint).hostname or ""
    if _is_ip(own):
        return own
    return ", ".join([own, *(f"*.{d}" for d in _file_domains(endpoint))])


# -- the proxy setting -----------------------------------------------------------------------


def proxy_setting(paths: DataPaths) -> str | None:
    """The proxy downloads go through (None: the system's ``HTTPS_PROXY``, if any)."""
    try:
        data = json.loads(paths.download_settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    proxy = data.get("proxy") if isinstance(data, dict) else None
    return proxy if isinstance(proxy, str) and proxy else None


def check_proxy(proxy: str) -> str:
    parts = urlsplit(proxy)
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise DownloadError(
            f"{proxy!r} is not a proxy address: use http://HOST:PORT or https://HOST:PORT."
        )
    return proxy


def set_proxy_setting(paths: DataPaths, proxy: str | None) -> None:
    if proxy:
        check_proxy(proxy)
    paths.ensure_root()
    atomic_write(paths.download_settings_file, json.dumps({"proxy": proxy or None}) + "\n")


# -- what a download will do ------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadPlan:
    entry: CatalogEntry
    endpoint: str
    url: str
    destination: Path
    part_dir: Path
    proxy: str | None

    def describe(self) -> str:
        """What the user is told before the download starts."""
        via = f" through the proxy {self.proxy}" if self.proxy else ""
        return (
            f"Downloads {self.entry.file} (about {self.entry.size_mb:,} MB) from {self.url}{via}. "
            f"LampDesk connects only to {shown_hosts(self.endpoint)} for this, and sends nothing "
            "about you: no profile, no question, no account or token."
        )


def plan_download(paths: DataPaths, entry: CatalogEntry, proxy: str | None = None) -> DownloadPlan:
    endpoint = hub_endpoint()
    url = f"{endpoint}/{entry.repo}/resolve/{REVISION}/{quote(entry.file)}"
    return DownloadPlan(
        entry=entry,
        endpoint=endpoint,
        url=url,
        destination=paths.models_dir / entry.file,
        part_dir=paths.downloads_dir,
        proxy=check_proxy(proxy) if proxy else proxy_setting(paths),
    )


# -- the guarded HTTP client -----------------------------------------------------------------

_ACTIVE = threading.local()


def _guard_request(request: Any) -> None:
    """huggingface_hub's client calls this before every request it sends."""
    endpoint = getattr(_ACTIVE, "endpoint", None)
    if endpoint is None:
        raise DownloadError("LampDesk opens no connection except a model download you start.")
    host = request.url.host
    if not host_allowed(host, endpoint):
        raise DownloadError(
            f"The hub sent the download on to {host}, which is not one of "
            f"{shown_hosts(endpoint)}: it was stopped there."
        )
    request.headers.pop("authorization", None)


def _use_guarded_client(proxy: str | None) -> None:
    import httpx2
    from huggingface_hub import constants, set_client_factory

    # Read by huggingface_hub at call time: no telemetry in the user agent (its "agent"
    # detection would fetch a list from the hub), and no token found on this computer.
    constants.HF_HUB_DISABLE_TELEMETRY = True
    constants.HF_HUB_DISABLE_IMPLICIT_TOKEN = True

    def client() -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": [_guard_request]},
            follow_redirects=True,
            timeout=None,
            proxy=proxy,
        )

    set_client_factory(client)


@contextlib.contextmanager
def _online(endpoint: str) -> Iterator[None]:
    _ACTIVE.endpoint = endpoint
    try:
        yield
    finally:
        _ACTIVE.endpoint = None


def _progress_bar(report: ProgressCallback, cancel: threading.Event | None) -> type:
    """A class with the part of tqdm's interface ``huggingface_hub.http_get`` uses: it turns
    progress into :class:`Progress` reports and a set *cancel* into :class:`DownloadCancelled`
    between two chunks."""

    class Bar:
        def __init__(self, *_: Any, total: int | None = None, initial: int = 0, **__: Any):
            self.n = initial
            self.total = total

        def update(self, n: int = 1) -> None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("The download was cancelled; nothing of it was kept.")
            self.n += n
            report(Progress("downloading", self.n, self.total))

        def close(self) -> None:
            return None

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    return Bar


def _disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


# -- the download -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HubFile:
    sha256: str
    size: int
    location: str
    commit: str | None


def _metadata(plan: DownloadPlan) -> HubFile:
    import httpx2
    from huggingface_hub import get_hf_file_metadata
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{plan.entry.repo}/{plan.entry.file}"
    try:
        meta = get_hf_file_metadata(
            plan.url,
            token=False,
            timeout=METADATA_TIMEOUT,
            headers={"user-agent": f"LampDesk/{__version__}"},
            endpoint=plan.endpoint,
        )
    except GatedRepoError as exc:
        raise DownloadError(
            f"{plan.entry.repo} asks for an account: LampDesk does not log in."
        ) from exc
    except (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError) as exc:
        raise DownloadError(
            f"The hub has no file {where} (404 at {plan.url}): nothing was downloaded."
        ) from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        if status == 404:
            raise DownloadError(
                f"The hub has no file {where} (404 at {plan.url}): nothing was downloaded."
            ) from exc
        raise DownloadError(
            f"The hub answered {status} for {plan.url}: nothing was downloaded."
        ) from exc
    except httpx2.HTTPError as exc:
        proxy = " (or the proxy setting)" if plan.proxy else ""
        raise DownloadError(
            f"Cannot reach {plan.endpoint}: {exc}. Check the network connection{proxy}; "
            "nothing was downloaded."
        ) from exc
    sha, size = (meta.etag or "").lower(), meta.size
    if not SHA256.fullmatch(sha):
        raise DownloadError(
            f"The hub gives no SHA-256 for {where}, so the file could not be checked: "
            "nothing was downloaded."
        )
    if size is None or size <= 0:
        raise DownloadError(f"The hub gives no size for {where}: nothing was downloaded.")
    host = urlsplit(meta.location).hostname or ""
    if not host_allowed(host, plan.endpoint):
        raise DownloadError(
            f"The hub sends {where} from {host}, which is not one of "
            f"{shown_hosts(plan.endpoint)}: nothing was downloaded."
        )
    return HubFile(sha, size, meta.location, meta.commit_hash)


def sha256_of(path: Path, report: ProgressCallback, cancel: threading.Event | None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("The download was cancelled; nothing of it was kept.")
            digest.update(block)
            done += len(block)
            report(Progress("verifying", done, total))
    return digest.hexdigest()


def _free_bytes(folder: Path) -> int:
    import shutil

    return shutil.disk_usage(folder).free


def _fetch_part(plan: DownloadPlan, hub: HubFile, part: Path, report: ProgressCallback,
                cancel: threading.Event | None) -> None:  # fmt: skip
    import httpx2
    from huggingface_hub.file_download import http_get

    have = part.stat().st_size if part.exists() else 0
    if have > hub.size:
        part.unlink()
        have = 0
    needed = hub.size - have + DISK_SLACK
    free = _free_bytes(part.parent)
    if free < needed:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"Not enough free disk space in {plan.destination.parent}: {plan.entry.file} needs "
            f"{_mb(hub.size - have)} more, {_mb(free)} are free. Nothing was kept."
        )
    report(Progress("downloading", have, hub.size))
    try:
        with part.open("ab") as handle:
            http_get(
                hub.location,
                handle,
                resume_size=have,
                headers={"user-agent": f"LampDesk/{__version__}"},
                expected_size=hub.size,
                tqdm_class=_progress_bar(report, cancel),
            )
    except DownloadCancelled:
        part.unlink(missing_ok=True)
        raise
    except httpx2.HTTPError as exc:
        kept = part.stat().st_size if part.exists() else 0
        raise DownloadError(
            f"The connection to the hub was lost after {_mb(kept)} of {_mb(hub.size)} ({exc}). "
            "The part is kept: start the same download again to resume it."
        ) from exc
    except OSError as exc:
        part.unlink(missing_ok=True)
        if _disk_full(exc):
            raise DownloadError(
                f"The disk holding {plan.destination.parent} is full: the download of "
                f"{plan.entry.file} stopped and its part was removed. Free some space and start "
                "it again."
            ) from exc
        raise DownloadError(f"The download of {plan.entry.file} failed: {exc}") from exc


def fetch(plan: DownloadPlan, report: ProgressCallback | None = None,
          cancel: threading.Event | None = None) -> Path:  # fmt: skip
    """Download *plan*'s file into the model folder and check it against the hub's SHA-256.

    Returns the complete, verified file; raises :class:`DownloadError` otherwise.
    """
    report = report or (lambda _progress: None)
    ensure_private_dir(plan.part_dir)
    _use_guarded_client(plan.proxy)
    report(Progress("connecting", 0, None))
    with _online(plan.endpoint):
        hub = _metadata(plan)
        # A file left from an earlier download (a model removed from the list keeps its file).
        if plan.destination.exists():
            same = plan.destination.is_file() and plan.destination.stat().st_size == hub.size
            if same and sha256_of(plan.destination, report, cancel) == hub.sha256:
                return plan.destination
            raise DownloadError(
                f"Another file named {plan.entry.file} is in {plan.destination.parent} already: "
                "move it away (or add it with 'lampdesk model add') and start the download again."
            )
        part = plan.part_dir / f"{plan.entry.file}.{hub.sha256[:16]}.part"
        for stale in plan.part_dir.glob(f"{glob_escape(plan.entry.file)}.*.part"):
            if stale != part:  # a part of an older version of the file
                stale.unlink(missing_ok=True)
        _fetch_part(plan, hub, part, report, cancel)
    try:
        actual = sha256_of(part, report, cancel)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if actual != hub.sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{plan.entry.file} does not match the SHA-256 the hub gives for it "
            f"({actual[:12]}… instead of {hub.sha256[:12]}…): it was deleted, nothing was added."
        )
    os.replace(part, plan.destination)
    return plan.destination


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def download(
    paths: DataPaths,
    entry: CatalogEntry,
    *,
    report: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    proxy: str | None = None,
    registry: ModelRegistry | None = None,
) -> ModelInfo:
    """Download *entry*, verify it, and add it to the user's models (as ``model add`` does)."""
    registry = registry or ModelRegistry(paths)
    if any(m.name == entry.name for m in registry.models()):
        raise DownloadError(
            f"{entry.name} is already one of your models (see 'lampdesk model list')."
        )
    path = fetch(plan_download(paths, entry, proxy), report, cancel)
    try:
        return registry.add(path, entry.name)
    except BaseException:
        path.unlink(missing_ok=True)  # the same check as 'model add' refused it: not kept
        raise


def leftovers(paths: DataPaths) -> list[Path]:
    """Parts of unfinished downloads (each resumes when the same model is downloaded again)."""
    folder = paths.downloads_dir
    return sorted(folder.glob("*.part")) if folder.is_dir() else []
