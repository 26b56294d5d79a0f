from hypothesis import given, settings
from hypothesis import strategies as st

from lampdesk.prompting.rules import REPLACEMENT, BlockedTermFilter


def run(terms: list[str], chunks: list[str]) -> tuple[str, BlockedTermFilter]:
    f = BlockedTermFilter(terms)
    return "".join(f.feed(c) for c in chunks) + f.flush(), f


def test_term_split_across_chunks_is_blocked() -> None:
    out, f = run(["bacon"], ["Try some ba", "CO", "n and eggs"])
    assert out == f"Try some {REPLACEMENT} and eggs"
    assert f.blocked == ["bacon"]


def test_text_is_not_held_back_needlessly() -> None:
    f = BlockedTermFilter(["bacon"])
    assert f.feed("Try tofu ") == "Try tofu "
    assert f.feed("with b") == "with "
    assert f.feed("eans") == "beans"


def test_no_terms_passes_through() -> None:
    assert run([], ["a", "b"])[0] == "ab"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(min_size=0, max_size=6), max_size=20),
    st.sampled_from(["meat", "Steak", "chicken breast"]),
)
def test_blocked_term_never_leaves_whatever_the_chunking(chunks: list[str], term: str) -> None:
    chunks = [*chunks[: len(chunks) // 2], term.upper(), *chunks[len(chunks) // 2 :]]
    emitted: list[str] = []
    f = BlockedTermFilter([term])
    for chunk in chunks:
        emitted.append(f.feed(chunk))
    emitted.append(f.flush())
    assert term.lower() not in "".join(emitted).lower()
    assert f.blocked
