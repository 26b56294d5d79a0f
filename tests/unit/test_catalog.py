"""The shipped model catalogue, entry by entry, and the recommendation for a machine."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from lampdesk.errors import ModelError
from lampdesk.inference import catalog
from lampdesk.inference.catalog import CatalogEntry, Machine
from lampdesk.inference.download import (
    DownloadError,
    _guard_request,
    check_proxy,
    host_allowed,
    hub_endpoint,
    shown_hosts,
)

ENTRIES = catalog.load_catalog()
#: Bytes per parameter a 4/5-bit K-quant file plausibly has (embeddings kept at 6-8 bits make
#: small models heavier per parameter).
PLAUSIBLE_BYTES_PER_PARAMETER = (0.5, 1.1)
LANGUAGE = re.compile(r"^[a-z]{2}$")


def test_the_catalogue_has_a_few_sizes_and_languages() -> None:
    assert len(ENTRIES) >= 8
    assert len({e.name for e in ENTRIES}) == len(ENTRIES)
    assert sorted(e.rank for e in ENTRIES) == list(range(1, len(ENTRIES) + 1))
    assert min(e.size_mb for e in ENTRIES) < 1000 < 2000 < max(e.size_mb for e in ENTRIES)
    multilingual = [e for e in ENTRIES if len(e.languages) >= 8]
    assert len(multilingual) >= 4


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_each_entry_is_complete_and_plausible(entry: CatalogEntry) -> None:
    owner, _, repo = entry.repo.partition("/")
    assert owner and repo and "/" not in repo and "GGUF" in repo
    assert entry.file.endswith(".gguf") and "/" not in entry.file
    assert entry.quantization.lower() in entry.file.lower()
    assert entry.title and entry.good_for and entry.evidence
    assert entry.languages and all(LANGUAGE.match(code) for code in entry.languages)
    assert entry.context_length >= 8192 and entry.context_length & (entry.context_length - 1) == 0
    # Size: plausible for the parameter count and the quantisation.
    per_parameter = entry.size_mb / (entry.parameters_b * 1000)
    low, high = PLAUSIBLE_BYTES_PER_PARAMETER
    assert low <= per_parameter <= high, f"{entry.name}: {per_parameter:.2f} bytes/parameter"
    # Memory: the weights plus a context cache and buffers, not absurdly more.
    assert entry.size_mb + 100 <= entry.ram_mb <= 2 * entry.size_mb + 2500


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_each_entry_names_a_known_licence_with_its_text(entry: CatalogEntry) -> None:
    assert entry.license in catalog.KNOWN_LICENSES, entry.license
    url = urlsplit(entry.license_url)
    assert url.scheme == "https" and url.hostname
    assert entry.license_url.startswith(catalog.KNOWN_LICENSES[entry.license])
    if entry.license == "qwen-research":  # not for commercial use: the user is told
        assert "not commercial" in entry.good_for


def test_a_damaged_catalogue_is_a_known_error() -> None:
    with pytest.raises(ModelError, match="not valid JSON"):
        catalog.parse_catalog("{")
    with pytest.raises(ModelError, match="format version"):
        catalog.parse_catalog(json.dumps({"version": 99, "models": []}))
    broken = {**ENTRIES[0].as_json(), "size_mb": "big"}
    with pytest.raises(ModelError, match="size_mb"):
        catalog.parse_catalog(json.dumps({"version": 1, "models": [broken]}))
    with pytest.raises(ModelError, match="no model 'nope'"):
        catalog.find("nope")


def test_the_recommendation_fits_memory_and_disk() -> None:
    roomy = catalog.recommend(Machine(ram_mb=32_000, free_disk_mb=500_000))
    assert roomy is not None and roomy.rank == 1
    small = catalog.recommend(Machine(ram_mb=4_000, free_disk_mb=500_000))
    assert small is not None and small.ram_mb <= 2_000
    assert all(e.rank >= small.rank for e in ENTRIES if e.ram_mb <= 2_000)
    assert catalog.recommend(Machine(ram_mb=1_000, free_disk_mb=500_000)) is None
    little_disk = catalog.recommend(Machine(ram_mb=32_000, free_disk_mb=1_200))
    assert little_disk is not None and little_disk.size_mb + catalog.DISK_MARGIN_MB <= 1_200
    unknown = catalog.recommend(Machine(ram_mb=None, free_disk_mb=None))
    assert unknown is not None and unknown.rank == 1


def test_the_cost_is_said_in_size_memory_and_speed() -> None:
    entry = catalog.find("qwen2.5-1.5b")
    text = catalog.cost_text(entry)
    assert "1,117 MB download" in text and "1.6 GB of memory" in text
    assert "11x slower" in text and "apache-2.0" in text
    assert entry.tokens_per_second() < catalog.EMBEDDED_TOKENS_PER_S


def test_the_endpoint_and_the_hosts_a_download_may_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert hub_endpoint() == "https://huggingface.co"
    endpoint = hub_endpoint()
    assert host_allowed("huggingface.co", endpoint)
    assert host_allowed("cdn-lfs.huggingface.co", endpoint)
    assert host_allowed("cas-bridge.xethub.hf.co", endpoint)
    assert not host_allowed("huggingface.co.example.com", endpoint)
    assert not host_allowed("example.com", endpoint)
    assert shown_hosts(endpoint) == "huggingface.co, *.huggingface.co, *.hf.co"
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8080/")
    assert hub_endpoint() == "http://127.0.0.1:8080"
    assert host_allowed("127.0.0.1", hub_endpoint()) and not host_allowed(
        "10.0.0.1", hub_endpoint()
    )
    monkeypatch.setenv("HF_ENDPOINT", "ftp://mirror")
    with pytest.raises(DownloadError, match="not an http"):
        hub_endpoint()
    assert check_proxy("http://proxy.local:3128") == "http://proxy.local:3128"
    with pytest.raises(DownloadError, match="not a proxy"):
        check_proxy("proxy.local")


def test_the_client_refuses_a_request_outside_a_download() -> None:
    import httpx2

    with pytest.raises(DownloadError, match="no connection except a model download"):
        _guard_request(httpx2.Request("HEAD", "https://huggingface.co/x/resolve/main/y.gguf"))
