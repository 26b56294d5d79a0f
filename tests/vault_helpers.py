"""Shared by the vault tests: a filled profile, cheap export parameters, a canonical dump."""

from __future__ import annotations

from pathlib import Path

from lampdesk.paths import DataPaths
from lampdesk.profile import Interaction, Profile, UsedItem
from lampdesk.vault.portable import KdfParams, canonical_dump
from lampdesk.vault.profiles import Vault

#: The reader's minimum cost: tests that decrypt hundreds of files use it; the CLI uses the
#: default (2**17), which is what a user's file gets.
FAST_KDF = KdfParams(log2_n=12)
EXPORT_PASSPHRASE = "export passphrase for tests"


def fill(profile: Profile, marker: str = "") -> None:
    """Attributes, memories, an interaction with used items, and feedback."""
    profile.set_attributes([("diet", "vegan"), ("city", f"Berlin{marker}")])
    first = profile.add_memory(f"I'm training for a half marathon in April{marker}")
    second = profile.add_memory(f"My sister is called Lea{marker}")
    interaction_id = profile.record_interaction(
        Interaction(
            question=f"What should I eat before a long run?{marker}",
            answer=f"Oats and a banana.{marker}",
            personalized=True,
            model="test",
            prompt_tokens=12,
            tokens=5,
            ttft_ms=1.5,
            total_ms=20.0,
            cancelled=False,
            items=[UsedItem(first.id, 0.5, {"bm25": 1}), UsedItem(second.id, 0.25, {"dense": 2})],
        )
    )
    with profile.store.transaction():
        profile.store.execute(
            "INSERT INTO feedback(interaction_id, kind, value, created_at) VALUES (?, ?, ?, ?)",
            (interaction_id, "thumbs", f"up{marker}", "2026-01-01T00:00:00+00:00"),
        )


def dump_profile(data_dir: Path, name: str) -> dict[str, list[list[object]]]:
    _, store = Vault(DataPaths(data_dir)).open(name)
    with store:
        return canonical_dump(store)
