"""The retriever on real parts: SQLCipher store, Chroma index, all-MiniLM-L6-v2."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lampdesk.profile import NewItem, Profile
from lampdesk.prompting.items import for_model
from lampdesk.retrieval import sparse
from lampdesk.retrieval.dense import DenseIndex
from lampdesk.retrieval.retriever import RetrievalSettings, Retriever
from lampdesk.retrieval.tokens import approximate_tokens
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.migrations import MIGRATIONS
from lampdesk.vault.store import Store
from tests.conftest import files_containing

pytestmark = pytest.mark.embedder
KEY = ProfileKey(KeyMode.PASSPHRASE, "retriever test")

TURNS = [
    ("2023-05-08", "D1:1", "Caroline: I went to a support group yesterday, it was powerful."),
    ("2023-05-08", "D1:2", "Melanie: That sounds great! I painted a sunrise over the lake."),
    ("2023-05-08", "D1:3", "Caroline: I am researching adoption agencies now."),
    ("2023-06-20", "D2:1", "Melanie: We went camping in the mountains with the kids."),
    ("2023-06-20", "D2:2", "Caroline: I signed up for a pottery class on Saturdays."),
]


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir / "p.db", KEY, create=True)
    yield store
    store.close()


def make_retriever(store: Store, data_dir: Path, embedder: Any, **settings: Any) -> Retriever:
    defaults: dict[str, Any] = {"today": date(2023, 7, 1)}
    return Retriever(
        Profile(store),
        DenseIndex(data_dir / "index"),
        embedder,
        settings=RetrievalSettings(**{**defaults, **settings}),
        count_tokens=approximate_tokens,
    )


def add_turns(profile: Profile) -> list[int]:
    return profile.add_items(
        NewItem(text, kind="turn", source=f"chat:{day}", happened_at=day, turn_ids=(turn,))
        for day, turn, text in TURNS
    )


@pytest.fixture
def retriever(store: Store, data_dir: Path, embedder: Any) -> Retriever:
    retriever = make_retriever(store, data_dir, embedder)
    add_turns(retriever.profile)
    return retriever


def test_indexing_on_write_reaches_both_indexes(retriever: Retriever) -> None:
    ids = {m.id for m in retriever.profile.memories()}
    assert retriever.sync() == len(ids)
    assert retriever.index.ids() == ids
    assert set(retriever.profile.vectors(retriever.embedder.name)) == ids
    assert retriever.sync() == 0  # nothing left to do: the outbox is empty


def test_result_carries_provenance_and_why(retriever: Retriever) -> None:
    (first, *_) = retriever.search("What did Caroline research?")
    assert first.turn_ids == ("D1:3",) and first.happened_at == "2023-05-08"
    assert {"bm25", "dense", "speaker"} <= set(first.why)
    assert first.why["speaker"]["said_by"] == "Caroline"
    assert first.why["bm25"]["contribution"] > 0


def test_when_question_shows_dates_and_month_boosts(retriever: Retriever) -> None:
    items = retriever.search("When did Melanie go camping in June 2023?", render=for_model)
    assert items[0].turn_ids == ("D2:1",)
    assert items[0].text.startswith("(20 Jun 2023) Melanie:")
    assert items[0].why["date"]["matches"] == "20 Jun 2023"
    plain = retriever.search("What did Melanie paint?")
    assert plain[0].text.startswith("Melanie: ")


def test_edits_and_deletes_disappear_from_both_indexes(retriever: Retriever) -> None:
    retriever.sync()
    pottery = next(m for m in retriever.profile.memories() if "pottery" in m.text)
    camping = next(m for m in retriever.profile.memories() if "camping" in m.text)
    old_vector = retriever.profile.vectors(retriever.embedder.name)[pottery.id]

    assert retriever.profile.edit_memory(pottery.id, "Caroline: I signed up for salsa dancing.")
    assert retriever.profile.forget(camping.id)
    assert retriever.sync() == 2

    store = retriever.profile.store
    assert sparse.search(store, "pottery", 10) == []
    assert sparse.plain_search(store, "pottery", 10) == []
    assert [mid for mid, _ in sparse.search(store, "salsa", 10)] == [pottery.id]
    assert sparse.search(store, "camping", 10) == []
    assert camping.id not in retriever.index.ids()
    assert camping.id not in retriever.profile.vectors(retriever.embedder.name)
    new_vector = retriever.profile.vectors(retriever.embedder.name)[pottery.id]
    assert new_vector != old_vector
    (salsa,) = retriever.embedder.embed(["Caroline: I signed up for salsa dancing."])
    best_id, similarity = retriever.index.query(salsa, 1)[0]
    assert best_id == pottery.id and similarity > 0.99
    texts = [i.text for i in retriever.search("camping pottery class", 10)]
    assert not any("camping" in t or "pottery" in t for t in texts)


def test_budget_packs_short_items_past_a_long_one(retriever: Retriever) -> None:
    ranked = retriever.rank("Caroline support group adoption pottery")
    costs = [approximate_tokens(i.text) for i in ranked]
    budget = costs[0] + min(costs[1:])
    packed = retriever.pack(ranked, budget)
    assert packed[0].id == ranked[0].id
    assert sum(i.tokens for i in packed) <= budget
    assert retriever.pack(ranked, 1) == []
    assert len(retriever.search("Caroline", budget=10_000)) == len(ranked)


def test_feedback_weight_reorders_and_says_so(retriever: Retriever) -> None:
    before = retriever.search("What did Caroline sign up for or research?", 2)
    loser = before[1].id
    retriever.profile.store.execute("UPDATE memories SET weight = 5.0 WHERE id = ?", (loser,))
    after = retriever.search("What did Caroline sign up for or research?", 2)
    assert after[0].id == loser and after[0].why["feedback"]["weight"] == 5.0


def test_recency_prefers_the_newer_of_equal_items(
    store: Store, data_dir: Path, embedder: Any
) -> None:
    retriever = make_retriever(store, data_dir, embedder, recency_weight=0.5, duplicate_jaccard=1.1)
    old, new = retriever.profile.add_items(
        [
            NewItem("I run on Sundays.", happened_at="2020-01-01"),
            NewItem("I run on Sundays.", happened_at="2023-06-30"),
        ]
    )
    items = retriever.search("When do I run?")
    assert [i.id for i in items] == [new, old]
    assert items[0].why["recency"]["age_days"] == 1
    assert items[0].why["recency"]["contribution"] > items[1].why["recency"]["contribution"]


def test_near_duplicates_are_dropped(store: Store, data_dir: Path, embedder: Any) -> None:
    retriever = make_retriever(store, data_dir, embedder)
    retriever.profile.add_items(
        [NewItem("I am allergic to peanuts."), NewItem("I am allergic to peanuts!")]
    )
    assert len(retriever.search("peanut allergy", 5)) == 1


def test_context_window_adds_neighbours(store: Store, data_dir: Path, embedder: Any) -> None:
    retriever = make_retriever(store, data_dir, embedder, context_window=1)
    add_turns(retriever.profile)
    (first, *_) = retriever.search("Melanie painted a sunrise", 1)
    assert first.turn_ids == ("D1:1", "D1:2", "D1:3")
    assert "support group" in first.text and "adoption" in first.text
    assert first.why["context"]["neighbours"]


def test_lost_chroma_entries_are_restored_from_stored_vectors(
    retriever: Retriever, store: Store, data_dir: Path, embedder: Any
) -> None:
    retriever.sync()
    # Chroma caches an open folder per process, so losing entries stands in for losing it.
    retriever.index.delete(sorted(retriever.index.ids()))
    fresh = make_retriever(store, data_dir, embedder)
    assert fresh.sync() == len(TURNS)
    assert fresh.index.ids() == {m.id for m in fresh.profile.memories()}


def test_chroma_folder_holds_no_profile_text(retriever: Retriever, data_dir: Path) -> None:
    retriever.search("What did Caroline research?")
    assert retriever.index.count() == len(TURNS)
    assert files_containing(data_dir, "adoption", "pottery", "Caroline", "D1:3") == []


def test_migration_indexes_memories_of_an_older_profile(data_dir: Path, embedder: Any) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "old.db"
    # Written as the first release did (today's Profile knows later columns).
    with Store.open(path, KEY, create=True, migrations=MIGRATIONS[:1]) as old:
        old.execute(
            "INSERT INTO memories(text, created_at, updated_at) VALUES (?, ?, ?)",
            ("I keep bees on the roof", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"),
        )
    with Store.open(path, KEY) as store:
        assert any(name.startswith("0003_retrieval_") for name in store.schema_version)
        retriever = make_retriever(store, data_dir, embedder)
        assert [i.text for i in retriever.search("bees")] == ["I keep bees on the roof"]


class _HeldEmbedder:
    """The real embedder, but documents wait for *release* (an import's long indexing)."""

    def __init__(self, embedder: Any) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.indexing = threading.Event()
        self.release = threading.Event()

    def embed(self, texts: Any) -> Any:
        if len(texts) > 1:
            self.indexing.set()
            assert self.release.wait(60)
        return self.inner.embed(texts)


def test_a_question_does_not_wait_for_indexing_in_another_thread(
    store: Store, data_dir: Path, embedder: Any
) -> None:
    held = _HeldEmbedder(embedder)
    retriever = make_retriever(store, data_dir, held)
    add_turns(retriever.profile)
    indexing = threading.Thread(target=retriever.sync)
    indexing.start()
    try:
        assert held.indexing.wait(30)
        asked = threading.Thread(
            target=lambda: found.extend(retriever.search("adoption agencies", limit=3))
        )
        found: list[Any] = []
        asked.start()
        asked.join(30)
        assert not asked.is_alive(), "the question waited for the indexing"
        # FTS5 holds the stored item already; its vector is still on its way.
        assert "adoption agencies" in found[0].text and "dense" not in found[0].why
    finally:
        held.release.set()
        indexing.join(60)
    assert retriever.index.ids() == {m.id for m in retriever.profile.memories()}
