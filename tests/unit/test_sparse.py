import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lampdesk.profile import NewItem, Profile
from lampdesk.retrieval.sparse import MAX_TERMS, fts_query, plain_search, query_terms, search
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
    profile.add_items([NewItem("Ben: Yes, every Sunday!", context="Ana: Do you still go rowing?")])
    return profile


def test_stop_words_and_duplicates_removed() -> None:
    assert query_terms("What is the name of my the SISTER sister?") == ["name", "sister"]


def test_long_questions_keep_their_first_terms() -> None:
    terms = query_terms(" ".join(f"word{n}" for n in range(100)))
    assert len(terms) == MAX_TERMS and terms[0] == "word0"


def test_nothing_searchable() -> None:
    assert fts_query("what is it?") is None


def test_bm25_finds_stemmed_match(profile: Profile) -> None:
    hits = search(profile.store, "Where does my sister live?", 5)
    assert [mid for mid, _ in hits] == [2]
    assert hits[0][1] > 0


def test_porter_stemming(profile: Profile) -> None:
    assert [mid for mid, _ in search(profile.store, "who trains?", 5)] == [3]


def test_context_is_searchable_but_the_baseline_ignores_it(profile: Profile) -> None:
    assert [mid for mid, _ in search(profile.store, "rowing", 5)] == [4]
    assert plain_search(profile.store, "rowing", 5) == []


_FTS_NOISE = st.sampled_from(
    ['"', "'", "AND", "OR", "NOT", "NEAR", "(", ")", "*", "-", "+", ":", "^", "{", "}", "NEAR/3"]
)
_QUERY_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(_FTS_NOISE, st.text(min_size=1, max_size=8)), max_size=12).map(" ".join),
)


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_QUERY_TEXT)
def test_any_text_is_a_valid_query(profile: Profile, text: str) -> None:
    search(profile.store, text, 5)
    plain_search(profile.store, text, 5)


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced',
        "a AND OR NOT",
        "NEAR(x y)",
        "col:value",
        "-minus *star",
        "🍕 東京",
        "^",
        "a_b",
    ],
)
def test_fts_syntax_never_leaks(profile: Profile, text: str) -> None:
    search(profile.store, text, 5)
