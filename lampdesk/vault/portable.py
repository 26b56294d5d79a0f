"""Profile export files: the whole profile in one versioned, encrypted and authenticated file.

Layout (big-endian)::

    magic      16 bytes  b"LAMPDESK-PROFILE"
    version     2 bytes  format version (1)
    kdf         1 byte   1 = scrypt
    log2_n      1 byte   scrypt cost N = 2**log2_n
    r, p        1+1      scrypt block size and parallelism
    salt       16 bytes
    aead        1 byte   1 = AES-256-GCM
    nonce      12 bytes
    ciphertext  rest     AES-GCM over the UTF-8 JSON payload, 16-byte tag at the end

The whole header is the AEAD's associated data, so no byte of the file can change unnoticed.
The key is scrypt(passphrase, salt); the primitives are the ``cryptography`` package's.
Vectors and the Chroma index are not exported: the index is derived and is rebuilt on import.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from lampdesk import __version__
from lampdesk.errors import ImportFileError, StoreError, UsageError
from lampdesk.paths import atomic_write, validate_profile_name
from lampdesk.vault.migrations import history_matches, newer_schema
from lampdesk.vault.profiles import Vault
from lampdesk.vault.store import DatabaseError, Store, utc_now

MAGIC = b"LAMPDESK-PROFILE"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
AEAD_AES_256_GCM = 1
_PREFIX = struct.Struct(">16sH")
_PARAMS = struct.Struct(">BBBB16sB12s")
HEADER_SIZE = _PREFIX.size + _PARAMS.size
TAG_SIZE = 16
#: scrypt needs 128 * r * N bytes; a header asking for more than this is refused before deriving.
MAX_KDF_MEMORY = 256 * 1024 * 1024
MIN_LOG2_N = 12

#: Not exported: bookkeeping, the profile's identity (an import gets its own), derived data
#: (vectors; full-text tables, which triggers refill on insert; the engine's saved KV prefixes,
#: a cache that main's migration 0004 adds).
#: Derived or per-install tables: rebuilt on import (vectors, the index outbox, the KV cache).
_NOT_EXPORTED = {
    "profile",
    "schema_migrations",
    "memory_vectors",
    "prefix_states",
    "retrieval_outbox",
}

Scalar = str | int | float | None


@dataclass(frozen=True)
class KdfParams:
    """scrypt's cost; the default takes ~0.5 s and 128 MiB, as an export is rare."""

    log2_n: int = 17
    r: int = 8
    p: int = 1

    def check(self) -> None:
        if not (MIN_LOG2_N <= self.log2_n <= 24 and 1 <= self.r <= 32 and 1 <= self.p <= 4):
            raise ImportFileError(_damaged("its key-derivation parameters are out of range"))
        if 128 * self.r * (2**self.log2_n) * self.p > MAX_KDF_MEMORY:
            raise ImportFileError(_damaged("its key-derivation parameters are out of range"))

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Scrypt(salt=salt, length=32, n=2**self.log2_n, r=self.r, p=self.p)
        return kdf.derive(passphrase.encode("utf-8"))


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Scalar | bytes]]


@dataclass(frozen=True)
class ExportPayload:
    """A decrypted, validated export: what :func:`import_as_new` and :func:`merge_into` take."""

    profile_name: str
    schema: list[str]
    tables: dict[str, Table] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return len(self.tables[table].rows) if table in self.tables else 0


def _damaged(why: str) -> str:
    return f"The file is not a usable LampDesk profile export: {why}."


# -- reading the store -----------------------------------------------------------------------


def exported_tables(store: Store) -> list[str]:
    """Tables that carry profile content, in creation order (parents before children)."""
    virtual = [
        str(name)
        for (name,) in store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    return [
        t
        for t in store.tables()
        if t not in _NOT_EXPORTED and not any(t == v or t.startswith(v + "_") for v in virtual)
    ]


def dump_tables(store: Store) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name in exported_tables(store):
        columns = store.columns(name)
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = store.query(f'SELECT {quoted} FROM "{name}" ORDER BY rowid')
        tables[name] = Table(columns, [list(r) for r in rows])
    return tables


def canonical_dump(store: Store) -> dict[str, list[list[Any]]]:
    """The profile's content in a stable order, for comparing two profiles."""
    return {
        name: sorted(([repr(v) for v in row] for row in table.rows), key=lambda r: r)
        for name, table in dump_tables(store).items()
    }


# -- export ----------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def export_bytes(
    store: Store, profile_name: str, passphrase: str, kdf: KdfParams | None = None
) -> bytes:
    """The whole profile as one encrypted export file's bytes (a weak passphrase is refused)."""
    from lampdesk.vault.strength import check_export_passphrase

    check_export_passphrase(passphrase)
    kdf = kdf or KdfParams()
    tables = dump_tables(store)
    payload = {
        "format": FORMAT_VERSION,
        "app": f"LampDesk {__version__}",
        "exported_at": utc_now(),
        "profile": {"name": profile_name},
        "schema": store.schema_version,
        "tables": {
            name: {
                "columns": t.columns,
                "rows": [[_encode_value(v) for v in row] for row in t.rows],
            }
            for name, t in tables.items()
        },
    }
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = _PREFIX.pack(MAGIC, FORMAT_VERSION) + _PARAMS.pack(
        KDF_SCRYPT, kdf.log2_n, kdf.r, kdf.p, salt, AEAD_AES_256_GCM, nonce
    )
    key = kdf.derive(passphrase, salt)
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def write_export_file(path: Path, data: bytes) -> None:
    """Write *data* to *path* atomically, mode 0600."""
    atomic_write(path.absolute(), data)


# -- import: check everything before touching anything ---------------------------------------


def read_header(data: bytes) -> tuple[KdfParams, bytes, bytes]:
    """Check magic, version and parameters; return (kdf, salt, nonce)."""
    if len(data) < _PREFIX.size or not data.startswith(MAGIC):
        raise ImportFileError("The file is not a LampDesk profile export.")
    _, version = _PREFIX.unpack_from(data)
    if version > FORMAT_VERSION:
        raise ImportFileError(
            f"The file was made by a newer LampDesk (export format {version}; this LampDesk "
            f"reads format {FORMAT_VERSION}). Update LampDesk to import it."
        )
    if version != FORMAT_VERSION:
        raise ImportFileError(_damaged(f"its format version {version} is unknown"))
    if len(data) < HEADER_SIZE + TAG_SIZE:
        raise ImportFileError(_damaged("it is truncated"))
    kdf_id, log2_n, r, p, salt, aead_id, nonce = _PARAMS.unpack_from(data, _PREFIX.size)
    if kdf_id != KDF_SCRYPT or aead_id != AEAD_AES_256_GCM:
        raise ImportFileError(_damaged("it names an unknown key derivation or cipher"))
    kdf = KdfParams(log2_n, r, p)
    kdf.check()
    return kdf, salt, nonce


def read_export(data: bytes, passphrase: str) -> ExportPayload:
    """Decrypt, authenticate and validate an export file; raise :class:`ImportFileError`."""
    kdf, salt, nonce = read_header(data)
    header = data[:HEADER_SIZE]
    try:
        plaintext = AESGCM(kdf.derive(passphrase, salt)).decrypt(nonce, data[HEADER_SIZE:], header)
    except InvalidTag:
        raise ImportFileError(
            "The export file could not be opened: the passphrase is wrong, or the file was "
            "damaged or altered (it failed its authenticity check). Nothing was imported."
        ) from None
    try:
        raw = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportFileError(_damaged("its content is not readable")) from None
    return _validate(raw)


def _validate(raw: Any) -> ExportPayload:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_VERSION:
        raise ImportFileError(_damaged("its content has an unknown layout"))
    profile, schema, tables = raw.get("profile"), raw.get("schema"), raw.get("tables")
    if not isinstance(profile, dict) or not isinstance(profile.get("name"), str):
        raise ImportFileError(_damaged("it names no profile"))
    if not isinstance(schema, list) or not all(isinstance(s, str) for s in schema):
        raise ImportFileError(_damaged("its schema list is malformed"))
    newer = newer_schema(schema)
    if newer is not None:
        raise ImportFileError(
            f"The file was made by a newer LampDesk (schema {newer}). Update LampDesk to import it."
        )
    if not history_matches(schema):
        raise ImportFileError(_damaged("its schema history does not match this program"))
    if not isinstance(tables, dict):
        raise ImportFileError(_damaged("it holds no tables"))
    parsed: dict[str, Table] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ImportFileError(_damaged(f"table {name!r} is malformed"))
        columns, rows = table.get("columns"), table.get("rows")
        if (
            not isinstance(columns, list)
            or not columns
            or not all(isinstance(c, str) for c in columns)
            or len(set(columns)) != len(columns)
            or not isinstance(rows, list)
        ):
            raise ImportFileError(_damaged(f"table {name!r} is malformed"))
        parsed[name] = Table(columns, [_validate_row(name, columns, row) for row in rows])
    return ExportPayload(profile["name"], schema, parsed)


def _validate_row(table: str, columns: Sequence[str], row: Any) -> list[Scalar | bytes]:
    if not isinstance(row, list) or len(row) != len(columns):
        raise ImportFileError(_damaged(f"a row of table {table!r} is malformed"))
    values: list[Scalar | bytes] = []
    for value in row:
        if isinstance(value, dict):
            encoded = value.get("b64")
            if len(value) != 1 or not isinstance(encoded, str):
                raise ImportFileError(_damaged(f"a value in table {table!r} is malformed"))
            try:
                values.append(base64.b64decode(encoded, validate=True))
            except ValueError:
                raise ImportFileError(
                    _damaged(f"a value in table {table!r} is malformed")
                ) from None
        elif value is None or isinstance(value, str | float) or type(value) is int:
            values.append(value)
        else:
            raise ImportFileError(_damaged(f"a value in table {table!r} is malformed"))
    return values


def _check_fits(store: Store, payload: ExportPayload) -> None:
    """Every table and column of the file exists in *store*'s schema."""
    allowed = set(exported_tables(store))
    for name, table in payload.tables.items():
        if name not in allowed:
            raise ImportFileError(_damaged(f"it has a table {name!r} this LampDesk does not know"))
        missing = set(table.columns) - set(store.columns(name))
        if missing:
            raise ImportFileError(
                _damaged(f"table {name!r} has columns this LampDesk does not know")
            )


# -- import as a new profile -----------------------------------------------------------------


def fill_new_profile(payload: ExportPayload) -> Callable[[Store], None]:
    """A filler for :meth:`Vault.create_staged`: all rows, ids kept, in one transaction."""

    def fill(store: Store) -> None:
        _check_fits(store, payload)
        try:
            with store.transaction():
                for name in exported_tables(store):
                    table = payload.tables.get(name)
                    if table is None:
                        continue
                    sql = _insert_sql(name, table.columns)
                    for row in table.rows:
                        store.execute(sql, row)
        except (DatabaseError, StoreError) as exc:
            raise ImportFileError(_damaged(f"its rows do not fit the profile ({exc})")) from exc

    return fill


def _insert_sql(table: str, columns: Sequence[str], verb: str = "INSERT") -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'{verb} INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


# -- merge into an existing profile ----------------------------------------------------------


@dataclass
class MergeReport:
    added: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    attributes_updated: int = 0
    attributes_kept: int = 0

    def bump(self, what: str, table: str) -> None:
        counts = self.added if what == "added" else self.duplicates
        counts[table] = counts.get(table, 0) + 1


def merge_into(store: Store, payload: ExportPayload) -> MergeReport:
    """Merge *payload* into *store* in one transaction: exact duplicates are skipped, and of two
    values of one attribute the more recently updated wins."""
    _check_fits(store, payload)
    report = MergeReport()
    try:
        with store.transaction():
            memory_ids = _merge_keyed(store, payload, "memories", ("text", "kind"), report)
            interaction_ids = _merge_keyed(
                store, payload, "interactions", ("question", "answer", "created_at"), report
            )
            _merge_attributes(store, payload, report)
            # Sources, and their files, under new ids; the items' links follow them.
            source_ids = _merge_keyed(
                store, payload, "sources", ("kind", "path", "added_at"), report
            )
            file_ids = _merge_keyed(
                store,
                payload,
                "source_files",
                ("source_id", "key", "fingerprint"),
                report,
                remap={"source_id": source_ids},
            )
            # Conversations (migration 0009) under new ids; their turns follow them.
            thread_ids = _merge_keyed(store, payload, "threads", ("created_at", "title"), report)
            remap = {
                "memory_id": memory_ids,
                "interaction_id": interaction_ids,
                "file_id": file_ids,
                "thread_id": thread_ids,
            }
            keyed = ("memories", "interactions", "attributes", "sources", "source_files", "threads")
            for name in exported_tables(store):
                if name in keyed or name not in payload.tables:
                    continue
                _merge_rows(store, name, payload.tables[name], remap, report)
    except (DatabaseError, StoreError) as exc:
        raise ImportFileError(_damaged(f"its rows do not fit the profile ({exc})")) from exc
    return report


def _rows(table: Table, needed: Sequence[str], what: str) -> list[dict[str, Any]]:
    if not set(needed) <= set(table.columns):
        raise ImportFileError(_damaged(f"table {what!r} lacks columns it needs"))
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def _merge_keyed(
    store: Store,
    payload: ExportPayload,
    name: str,
    identity: Sequence[str],
    report: MergeReport,
    remap: dict[str, dict[int, int]] | None = None,
) -> dict[int, int]:
    """Rows with an ``id``: a row equal on *identity* maps to the existing one; others are added
    under a new id. Columns in *remap* refer to rows merged before (a row whose referent is not
    in the file is left out). Returns old id -> id in *store*."""
    table = payload.tables.get(name)
    if table is None:
        return {}
    mapping: dict[int, int] = {}
    cols = ", ".join(f'"{c}"' for c in identity)
    # One read of what is there, then lookups in memory: a merge stays linear in the rows.
    existing = {
        tuple(row[1:]): int(row[0]) for row in store.query(f'SELECT id, {cols} FROM "{name}"')
    }
    for row in _rows(table, ["id", *identity], name):
        if remap and any(row[c] not in remap[c] for c in remap if c in row):
            continue
        for column, ids in (remap or {}).items():
            if column in row:
                row[column] = ids[row[column]]
        old_id = row.pop("id")
        key = tuple(row[c] for c in identity)
        if key in existing:
            report.bump("duplicates", name)
            new_id = existing[key]
        else:
            report.bump("added", name)
            new_id = store.execute(_insert_sql(name, list(row)), list(row.values()))
            existing[key] = new_id
        if isinstance(old_id, int):
            mapping[old_id] = new_id
    return mapping


def _merge_attributes(store: Store, payload: ExportPayload, report: MergeReport) -> None:
    table = payload.tables.get("attributes")
    if table is None:
        return
    for row in _rows(table, ["key", "value", "updated_at"], "attributes"):
        found = store.query("SELECT value, updated_at FROM attributes WHERE key = ?", (row["key"],))
        if not found:
            report.bump("added", "attributes")
            store.execute(_insert_sql("attributes", list(row)), list(row.values()))
        elif found[0][0] == row["value"]:
            report.bump("duplicates", "attributes")
        elif str(row["updated_at"]) > str(found[0][1]):
            report.attributes_updated += 1
            store.execute(
                "UPDATE attributes SET value = ?, updated_at = ? WHERE key = ?",
                (row["value"], row["updated_at"], row["key"]),
            )
        else:
            report.attributes_kept += 1


def _merge_rows(
    store: Store,
    name: str,
    table: Table,
    remap: dict[str, dict[int, int]],
    report: MergeReport,
) -> None:
    """Other tables: references remapped, an own ``id`` renumbered, exact duplicates skipped."""
    columns = [c for c in table.columns if c != "id"]
    cols = ", ".join(f'"{c}"' for c in columns)
    existing = {tuple(r) for r in store.query(f'SELECT {cols} FROM "{name}"')} if cols else set()
    for row in _rows(table, [], name):
        row.pop("id", None)
        skip = False
        for column, mapping in remap.items():
            if column in row and row[column] is not None:
                if row[column] not in mapping:
                    skip = True  # it refers to something the file does not hold
                    break
                row[column] = mapping[row[column]]
        if skip or not row:
            continue
        key = tuple(row[c] for c in columns)
        if key in existing:
            report.bump("duplicates", name)
            continue
        report.bump("added", name)
        existing.add(key)
        store.execute(_insert_sql(name, list(row), "INSERT OR IGNORE"), list(row.values()))


# -- the whole import, as the CLI runs it ----------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    name: str
    payload: ExportPayload
    merge: MergeReport | None


def import_profile(
    vault: Vault,
    data: bytes,
    passphrase: str,
    *,
    as_name: str | None = None,
    merge: str | None = None,
) -> ImportResult:
    """Check, decrypt and validate *data*, then import it all or nothing: as a new profile
    (built in a staging directory and renamed into place) or merged into *merge* (one
    transaction). Any fault in the file raises :class:`ImportFileError` and changes nothing."""
    payload = read_export(data, passphrase)
    from lampdesk.vault.backup import MARGIN_BYTES, require_free_space

    # The rows, their full-text indexes and the WAL: several times the file's own size.
    require_free_space(vault.paths.root, 6 * len(data) + MARGIN_BYTES, "Importing this profile")
    if merge is not None:
        _, store = vault.open(merge)
        with store:
            return ImportResult(merge, payload, merge_into(store, payload))
    name = as_name or payload.profile_name
    try:
        validate_profile_name(name)
    except UsageError:
        if as_name is not None:
            raise
        raise ImportFileError(_damaged("the profile name it holds is not allowed")) from None
    vault.create_staged(name, fill_new_profile(payload))
    return ImportResult(name, payload, None)
