from pathlib import Path

import pytest

from lampdesk.errors import UsageError
from lampdesk.profile import Interaction, Profile, UsedItem, parse_attribute
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    return Profile(Store.open(tmp_path / "p.db", ProfileKey(KeyMode.PASSPHRASE, "x"), create=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name=Ana", ("name", "Ana")),
        ("Tone = concise and friendly", ("tone", "concise and friendly")),
    ],
)
def test_parse_attribute(text: str, expected: tuple[str, str]) -> None:
    assert parse_attribute(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=x", "diet=", "1x=y", "a;b=c"])
def test_bad_attributes(text: str) -> None:
    with pytest.raises(UsageError):
        parse_attribute(text)


def test_attributes_upsert_and_order(profile: Profile) -> None:
    profile.set_attributes([("name", "Ana"), ("diet", "vegan")])
    profile.set_attributes([("diet", "vegetarian")])
    assert profile.attributes() == {"diet": "vegetarian", "name": "Ana"}
    assert profile.unset_attributes(["diet", "nope"]) == 1


def test_memories_and_forget(profile: Profile) -> None:
    first = profile.add_memory("  I like tea ")
    assert first.text == "I like tea"
    assert profile.memory_count() == 1
    assert profile.forget(first.id)
    assert not profile.forget(first.id)
    assert profile.store.query(
        "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'tea'"
    ) == [(0,)]


def test_empty_memory_refused(profile: Profile) -> None:
    with pytest.raises(UsageError):
        profile.add_memory("   ")


def test_interaction_recorded_with_items(profile: Profile) -> None:
    memory = profile.add_memory("I like tea")
    interaction_id = profile.record_interaction(
        Interaction("q", "a", True, "m", 10, 3, 5.0, 9.0, False, [UsedItem(memory.id, 0.1, {})])
    )
    assert profile.interaction_item_ids(interaction_id) == [memory.id]
    assert profile.interactions()[0]["question"] == "q"
