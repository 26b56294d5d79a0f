"""The model catalogue: instruct GGUF models LampDesk offers to download, and which one suits
this computer.

The catalogue is ``resources/models/catalog.json`` (versioned). Reading it opens no connection;
only :mod:`lampdesk.inference.download` does, when the user starts a download.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lampdesk.errors import ModelError

CATALOG_VERSION = 1
#: The licences the catalogue may name, and where each one's text is published.
KNOWN_LICENSES = {
    "apache-2.0": ("https://www.apache.org/licenses/", "https://huggingface.co/Qwen/"),
    "mit": ("https://huggingface.co/microsoft/",),
    "llama3.2": ("https://www.llama.com/llama3_2/license",),
    "gemma": ("https://ai.google.dev/gemma/terms",),
    "qwen-research": ("https://huggingface.co/Qwen/",),
}
#: A model is offered for this computer when it needs at most this share of its memory: the
#: system, the desktop and LampDesk's own embedder need the rest.
RAM_SHARE = 0.5
#: Room left on the disk beyond the model file itself.
DISK_MARGIN_MB = 512
#: The embedded SmolLM2-135M file's size and its measured speed on the 2-core development
#: machine (README): the reference for how much slower a bigger model answers.
EMBEDDED_SIZE_MB = 98
EMBEDDED_TOKENS_PER_S = 130.0

_FIELDS = {
    "name": str,
    "title": str,
    "parameters_b": float,
    "repo": str,
    "file": str,
    "quantization": str,
    "size_mb": int,
    "ram_mb": int,
    "context_length": int,
    "license": str,
    "license_url": str,
    "languages": list,
    "good_for": str,
    "rank": int,
    "evidence": str,
}


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    parameters_b: float
    repo: str
    file: str
    quantization: str
    size_mb: int
    ram_mb: int
    context_length: int
    license: str
    license_url: str
    languages: tuple[str, ...]
    good_for: str
    rank: int
    evidence: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data

    def speed_factor(self) -> float:
        """How many times slower than the embedded model it answers (generation is bound by
        memory bandwidth, so roughly by the file's size)."""
        return max(1.0, self.size_mb / EMBEDDED_SIZE_MB)

    def tokens_per_second(self) -> float:
        """A rough generation speed on a computer like the development machine."""
        return EMBEDDED_TOKENS_PER_S / self.speed_factor()


def _entry(raw: Any) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise ModelError("The model catalogue is damaged: an entry is not an object.")
    for key, kind in _FIELDS.items():
        if not isinstance(raw.get(key), kind):
            raise ModelError(f"The model catalogue is damaged: {key!r} of {raw.get('name')!r}.")
    return CatalogEntry(**{**raw, "languages": tuple(raw["languages"])})


def parse_catalog(text: str) -> list[CatalogEntry]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"The model catalogue is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION:
        raise ModelError("The model catalogue has an unknown format version.")
    entries = [_entry(raw) for raw in data.get("models") or []]
    return sorted(entries, key=lambda e: e.size_mb)


def load_catalog() -> list[CatalogEntry]:
    """The shipped catalogue, smallest model first."""
    path = resources.files("lampdesk.resources").joinpath("models/catalog.json")
    return parse_catalog(path.read_text(encoding="utf-8"))


def find(name: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry:
    entries = load_catalog() if entries is None else entries
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in entries)
    raise ModelError(f"There is no model {name!r} in the catalogue (known: {known}).")


@dataclass(frozen=True)
class Machine:
    """What this computer offers a model: total memory and free disk space, in MB."""

    ram_mb: int | None
    free_disk_mb: int | None

    @classmethod
    def probe(cls, folder: Path) -> Machine:
        return cls(total_ram_mb(), free_disk_mb(folder))


def total_ram_mb() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 1_000_000)
    except (ValueError, OSError, AttributeError):  # not a POSIX system: unknown
        return None


def free_disk_mb(folder: Path) -> int | None:
    """Free space where *folder* is (or would be created)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return int(shutil.disk_usage(probe).free // 1_000_000)
    except OSError:
        return None


def fits(entry: CatalogEntry, machine: Machine) -> bool:
    ram_ok = machine.ram_mb is None or entry.ram_mb <= machine.ram_mb * RAM_SHARE
    disk_ok = machine.free_disk_mb is None or (
        entry.size_mb + DISK_MARGIN_MB <= machine.free_disk_mb
    )
    return ram_ok and disk_ok


def recommend(machine: Machine, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The best-ranked model that fits this computer's memory and disk, or None."""
    entries = load_catalog() if entries is None else entries
    fitting = [e for e in entries if fits(e, machine)]
    return min(fitting, key=lambda e: e.rank) if fitting else None


def cost_text(entry: CatalogEntry) -> str:
    """What a model costs, said plainly: download size, memory and speed."""
    return (
        f"{entry.title}: a {entry.size_mb:,} MB download, needs about {entry.ram_mb / 1000:.1f} GB "
        f"of memory, and answers about {entry.speed_factor():.0f}x slower than the built-in model "
        f"(roughly {entry.tokens_per_second():.0f} tokens a second on a 2-core computer). "
        f"Licence: {entry.license} ({entry.license_url})."
    )
