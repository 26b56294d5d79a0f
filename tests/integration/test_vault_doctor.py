"""``lampdesk doctor`` through the real command, real SQLCipher files and a real Chroma index."""

from __future__ import annotations

import json
import random
from pathlib import Path

from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.retrieval.dense import EMBEDDING_MODEL_NAME, DenseIndex, vector_to_blob
from lampdesk.vault.profiles import Vault
from tests.integration.conftest import Cli


def profile_with_vectors(data_dir: Path, count: int = 6) -> tuple[Vault, str, list[int]]:
    """Memories with stored vectors (random unit-ish vectors: the doctor needs no model)."""
    vault = Vault(DataPaths(data_dir))
    entry, store = vault.create("default")
    rng = random.Random(1)
    with store:
        profile = Profile(store)
        ids = [profile.add_memory(f"fact number {i}").id for i in range(count)]
        profile.store_vectors(
            EMBEDDING_MODEL_NAME,
            [(i, vector_to_blob([rng.uniform(-1, 1) for _ in range(384)])) for i in ids],
        )
    return vault, entry.id, ids


def doctor(cli: Cli) -> tuple[int, dict[str, object]]:
    done = cli("doctor", "--json")
    return done.returncode, json.loads(done.stdout)


def test_index_that_disagrees_with_the_store_is_rebuilt(cli: Cli) -> None:
    vault, profile_id, ids = profile_with_vectors(cli.data_dir)
    index = DenseIndex(vault.paths.index_dir(profile_id))
    index.upsert([(ids[0], [1.0] * 384), (999, [0.5] * 384)])  # one right, one stale, rest missing
    del index
    code, report = doctor(cli)
    assert code == 0, report
    findings = {f["check"]: f for f in report["profiles"]["default"]}  # type: ignore[index]
    assert findings["index"]["status"] == "fixed", findings
    assert "5 added, 1 removed" in findings["index"]["detail"]
    code, report = doctor(cli)
    findings = {f["check"]: f for f in report["profiles"]["default"]}  # type: ignore[index]
    assert code == 0 and findings["index"]["status"] == "ok", findings
    assert DenseIndex(vault.paths.index_dir(profile_id)).ids() == set(ids)


def test_unreadable_index_is_rebuilt_from_the_store(cli: Cli) -> None:
    vault, profile_id, ids = profile_with_vectors(cli.data_dir)
    index_dir = vault.paths.index_dir(profile_id)
    index_dir.mkdir()
    (index_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    code, report = doctor(cli)
    findings = {f["check"]: f for f in report["profiles"]["default"]}  # type: ignore[index]
    assert code == 0 and findings["index"]["status"] == "fixed", findings
    assert DenseIndex(index_dir).ids() == set(ids)


def test_damage_that_cannot_be_fixed_fails_the_doctor(cli: Cli) -> None:
    vault, profile_id, _ = profile_with_vectors(cli.data_dir)
    db = vault.paths.profile_db(profile_id)
    db.write_bytes(db.read_bytes()[:4096])  # a torn database: only its first page is left
    done = cli("doctor")
    assert done.returncode == 1
    assert "problem" in done.stdout and "could not be fixed" in done.stdout
