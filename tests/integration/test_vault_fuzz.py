"""Acceptance 6: generated malformed import files always end in ImportFileError, never in a crash
or a partial import.

The count is set by ``LAMPDESK_FUZZ_EXAMPLES`` (default keeps each test well under a minute on
two cores; the acceptance run uses 10,000).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lampdesk.errors import ImportFileError
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault import portable
from lampdesk.vault.profiles import Vault
from tests.vault_helpers import EXPORT_PASSPHRASE, FAST_KDF, fill

EXAMPLES = int(os.environ.get("LAMPDESK_FUZZ_EXAMPLES", "500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@cache
def valid_file() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault(DataPaths(Path(tmp)))
        entry, store = vault.create("default")
        with store:
            fill(Profile(store))
            return portable.export_bytes(store, entry.name, EXPORT_PASSPHRASE, FAST_KDF)


def seal(plaintext: bytes) -> bytes:
    """An authentic file around *plaintext*: only a passphrase holder can make one."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = portable._PREFIX.pack(portable.MAGIC, portable.FORMAT_VERSION) + portable._PARAMS.pack(
        portable.KDF_SCRYPT, FAST_KDF.log2_n, FAST_KDF.r, FAST_KDF.p, salt, 1, nonce
    )
    return header + AESGCM(FAST_KDF.derive(EXPORT_PASSPHRASE, salt)).encrypt(
        nonce, plaintext, header
    )


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = bytearray(valid_file())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "append"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
        else:
            data += draw(st.binary(min_size=1, max_size=64))
    if data == valid_file():  # a no-op mutation (truncating at the end): still make it wrong
        data[-1] ^= 1
    return bytes(data)


def headers() -> st.SearchStrategy[bytes]:
    """Header-shaped prefixes with arbitrary fields, followed by anything."""
    return st.builds(
        lambda version, params, rest: portable.MAGIC + version.to_bytes(2, "big") + params + rest,
        st.integers(0, 65535),
        st.binary(min_size=0, max_size=portable._PARAMS.size),
        st.binary(max_size=64),
    )


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
COLUMNS = {
    "attributes": ["key", "value", "updated_at"],
    "memories": ["id", "text", "kind", "source", "created_at", "updated_at", "weight", "pinned"],
    "interactions": [
        "id",
        "question",
        "answer",
        "personalized",
        "model",
        "prompt_tokens",
        "tokens",
        "ttft_ms",
        "total_ms",
        "cancelled",
        "created_at",
    ],
    "interaction_items": ["interaction_id", "memory_id", "rank", "score", "why"],
    "feedback": ["id", "interaction_id", "kind", "value", "created_at"],
    "profile": ["id", "uuid", "name", "created_at"],
    "x": ["y"],
}
cells = st.one_of(st.none(), st.integers(-2, 3), st.text(max_size=4), st.floats(), st.booleans())


@st.composite
def near_valid_payloads(draw: st.DrawFn) -> Any:
    """Payloads shaped like real ones, mostly well-formed, with something (maybe) wrong inside:
    they reach the import's row checks and inserts, not only its envelope checks."""
    tables: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(COLUMNS)), max_size=4, unique=True)):
        known = COLUMNS[name] + ["bogus"] * draw(st.sampled_from([0, 0, 0, 0, 1]))
        columns = draw(st.lists(st.sampled_from(known), min_size=1, unique=True))
        width = len(columns) + draw(st.sampled_from([0, 0, 0, 0, 0, 1, -1]))
        rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=4))
        tables[name] = {"columns": columns, "rows": rows}
    payload: dict[str, Any] = {
        "format": draw(st.sampled_from([1] * 8 + [2, "1", None])),
        "profile": draw(st.sampled_from([{"name": "imported"}] * 8 + [{"name": "../x"}, {}, "x"])),
        "schema": draw(st.sampled_from([["0001_initial"]] * 8 + [[], ["0002_other"], "0001"])),
        "tables": tables,
    }
    if draw(st.integers(0, 9)) == 0:
        payload[draw(st.sampled_from(sorted(payload)))] = draw(json_values)
    return payload


def assert_clean_failure_or_complete_import(vault: Vault, data: bytes) -> None:
    names = vault.names()
    try:
        result = portable.import_profile(vault, data, EXPORT_PASSPHRASE)
    except ImportFileError as exc:
        event(str(exc).split(":")[-1][:60])
        assert vault.names() == names, "a failed import left a profile behind"
        assert vault.paths.staging_dirs() == [], "a failed import left a staging directory"
        assert {p.name for p in vault.paths.profile_dirs()} == {
            e.id for e in vault.registry.entries()
        }
        return
    # The file was well-formed after all: it must then be a complete, sound profile.
    event("imported")
    _, store = vault.open(result.name)
    with store:
        assert store.integrity_problems() == []
    vault.delete(result.name)


@FUZZ
@given(data=st.one_of(st.binary(max_size=256), headers(), mutated_files()))
def test_malformed_files_end_in_the_import_error(data_dir: Path, data: bytes) -> None:
    vault = Vault(DataPaths(data_dir))
    names = vault.names()
    try:
        portable.import_profile(vault, data, EXPORT_PASSPHRASE, as_name="fuzzed")
    except ImportFileError:
        pass
    else:
        raise AssertionError("a malformed file was imported")
    assert vault.names() == names
    assert vault.paths.staging_dirs() == []


@FUZZ
@given(payload=st.one_of(near_valid_payloads(), near_valid_payloads(), json_values))
def test_authentic_but_malformed_content_ends_in_the_import_error(
    data_dir: Path, payload: Any
) -> None:
    try:
        plaintext = json.dumps(payload).encode()
    except ValueError:
        return
    assert_clean_failure_or_complete_import(Vault(DataPaths(data_dir)), seal(plaintext))


@FUZZ
@given(plaintext=st.binary(max_size=64))
def test_authentic_but_unreadable_content_ends_in_the_import_error(
    data_dir: Path, plaintext: bytes
) -> None:
    vault = Vault(DataPaths(data_dir))
    try:
        portable.import_profile(vault, seal(plaintext), EXPORT_PASSPHRASE)
    except ImportFileError:
        return
    raise AssertionError("unreadable content was imported")
