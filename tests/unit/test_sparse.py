import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lampdesk.profile import Profile
from lampdesk.retrieval.sparse import fts_query, query_terms, search
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    path = tmp_path_factory.mktemp("sparse") / "p.db"
    store = Store.open(path, ProfileKey(KeyMode.PASSPHRASE, "x"), create=True)
    profile = Profile(store)
    profile.add_memory("I am allergic to peanuts")
    profile.add_memory("My sister lives in Lisbon")
    profile.add_memory("I'm training for a half marathon in April")
    return profile


def test_stop_words_and_duplicates_removed() -> None:
    assert query_terms("What is the name of my the SISTER sister?") == ["name", "sister"]


def test_nothing_searchable() -> None:
    assert fts_query("what is it?") is None


def test_bm25_finds_stemmed_match(profile: Profile) -> None:
    hits = search(profile.store, "Where does my sister live?", 5)
    assert [mid for mid, _ in hits] == [2]
    assert hits[0][1] > 0


def test_porter_stemming(profile: Profile) -> None:
    assert [mid for mid, _ in search(profile.store, "who trains?", 5)] == [3]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_a_valid_query(profile: Profile, text: str) -> None:
    search(profile.store, text, 5)


@pytest.mark.parametrize(
    "text",
    ['"unbalanced', "a AND OR NOT", "NEAR(x y)", "col:value", "-minus *star", "🍕 東京", "^"],
)
def test_fts_syntax_never_leaks(profile: Profile, text: str) -> None:
    search(profile.store, text, 5)
