"""Constraints: the lexicon, detection, the final check and the decoding processor (with a
small fake vocabulary; tests/integration/test_constraints.py runs them with the real model)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lampdesk.constraints import detect
from lampdesk.constraints.decoding import ConstraintProcessor, Vocabulary, build_tables
from lampdesk.constraints.guard import prompt_sentence
from lampdesk.constraints.lexicon import expand, load, parse, plurals
from lampdesk.constraints.matching import Checker, negated_before
from lampdesk.errors import UsageError

LEXICON = load()
DETECTOR = detect.Detector(LEXICON)


def found(text: str) -> set[str]:
    return {f.spec_id for f in DETECTOR.statement(text, "test")}


def constraints(attributes: dict[str, str], memories: list[str]) -> list[detect.Constraint]:
    items = DETECTOR.profile(attributes, list(enumerate(memories, 1)), [])
    return detect.build(LEXICON, items, {})


def test_lexicon_expands_groups_and_plurals() -> None:
    vegan = LEXICON.specs["vegan"]
    for term in ("chicken", "cheeses", "eggs", "honey", "salmon", "shrimps", "ice cream"):
        assert term in vegan.excludes
    assert "peanuts" in LEXICON.specs["peanut_allergy"].excludes
    assert "groundnuts" in LEXICON.specs["peanut_allergy"].excludes
    assert plurals("berry") == ["berry", "berries"]
    assert plurals("peach") == ["peach", "peaches"]
    assert expand(["Brazil Nut"]) == ("brazil nut", "brazil nuts")


def test_a_broken_lexicon_is_refused_with_a_message() -> None:
    with pytest.raises(UsageError, match="format"):
        parse('format = "other"\n')
    bad = 'format = "lampdesk-constraints/1"\n[constraints.x]\nexcludes = ["@nothing"]\n'
    with pytest.raises(UsageError, match="group"):
        parse(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm vegan.", {"vegan"}),
        ("I'm allergic to tree nuts, especially walnuts and cashews.", {"tree_nut_allergy"}),
        ("I'm coeliac", {"gluten_free"}),
        ("My doctor told me to eat very little salt", {"low_salt"}),
        ("I don't eat beef.", {"no_beef"}),
        ("I keep kosher", {"kosher"}),
        ("I have type 2 diabetes, so I avoid sugary food and drinks.", {"low_sugar"}),
        ("I can't have soy, it makes me ill.", {"soy_allergy"}),
        ("I'm in recovery, so no alcohol for me.", {"no_alcohol"}),
        ("Shellfish makes me sick", {"shellfish_allergy"}),
        ("I have a severe peanut allergy", {"peanut_allergy"}),
        ("I'm allergic to kiwis", {"term:kiwis"}),
        ("I'm lactose intolerant.", {"lactose_intolerance"}),
    ],
)
def test_statements_about_the_user_become_constraints(text: str, expected: set[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "My sister is vegan.",
        "I'm not vegan any more.",
        "I used to be vegetarian.",
        "I avoid driving at night.",
        "I can't live without cheese.",
        "My brother Felix lives in Graz.",
        "I prefer short answers.",
    ],
)
def test_other_statements_do_not(text: str) -> None:
    assert found(text) == set()


def test_attributes_rules_and_sources() -> None:
    items = DETECTOR.profile(
        {"diet": "vegan", "allergies": "peanuts, shellfish", "job": "vegan chef"},
        [(4, "I'm allergic to peanuts")],
        [(2, "Never say this", ("durian",))],
    )
    built = {c.id: c for c in detect.build(LEXICON, items, {})}
    assert set(built) == {"vegan", "peanut_allergy", "shellfish_allergy", "rule:2"}
    assert built["peanut_allergy"].sources == [
        "attribute allergies=peanuts, shellfish",
        "memory #4: I'm allergic to peanuts",
    ]
    assert built["rule:2"].terms == ("durian", "durians")


def test_a_literal_already_covered_is_not_a_constraint_of_its_own() -> None:
    built = constraints({}, ["I'm allergic to tree nuts.", "I'm allergic to walnuts."])
    assert [c.id for c in built] == ["tree_nut_allergy"]


def test_user_overrides_switch_off_add_and_allow() -> None:
    items = DETECTOR.profile({"diet": "vegan"}, [], [])
    overrides = {
        "off": ["vegan"],
        "terms": {"vegan": ["Quorn"], "mushrooms": ["mushroom"]},
        "allowed": {"vegan": ["honey"]},
        "added": {"mushrooms": "mushrooms"},
    }
    built = {c.id: c for c in detect.build(LEXICON, items, overrides)}
    assert not built["vegan"].enabled
    assert "quorn" in built["vegan"].terms and "honey" not in built["vegan"].terms
    assert built["mushrooms"].enabled and built["mushrooms"].terms == ("mushroom", "mushrooms")


def test_prompt_states_constraints_positively_and_briefly() -> None:
    built = constraints({"diet": "vegan"}, ["I'm allergic to peanuts"])
    assert prompt_sentence(built) == "Suggest only plant-based food and drinks, without peanuts."
    tom = constraints({}, ["I have gout; my doctor said to avoid red meat and organ meats."])
    assert prompt_sentence(tom) == "Suggest only food and drinks without red meat or organ meats."


# -- the final check -----------------------------------------------------------------------------


def checker(attributes: dict[str, str], memories: list[str]) -> Checker:
    return Checker(constraints(attributes, memories), LEXICON.grammar)


@pytest.mark.parametrize(
    "answer",
    [
        "Try a Peanut butter toast.",
        "PEANUTS are a great snack.",
        "Have some pea-nuts.",
        "Have some pea\u00adnuts.",  # a soft hyphen
        "Have some pea\u200bnuts.",  # a zero-width space
        "Have some \uff50\uff45\uff41\uff4e\uff55\uff54\uff53.",  # full-width letters
        "Snack on groundnuts",
        "A satay sauce",
    ],
)
def test_final_check_catches_a_term_however_it_is_written(answer: str) -> None:
    (violation,) = checker({}, ["I'm allergic to peanuts"]).violations(answer)
    assert violation.constraint == "peanut_allergy"


@pytest.mark.parametrize(
    "answer",
    [
        "A peanut-free granola bar.",
        "Choose snacks with no peanuts.",
        "Make it without any peanuts or nuts.",
        "Avoid peanuts, of course.",
        "Apple slices with sunflower butter.",
        "Peas and nutmeg.",
    ],
)
def test_final_check_lets_negated_and_unrelated_mentions_pass(answer: str) -> None:
    assert checker({}, ["I'm allergic to peanuts"]).violations(answer) == []


def test_final_check_honours_a_constraints_own_qualifiers() -> None:
    vegan = checker({"diet": "vegan"}, [])
    assert vegan.violations("Porridge with oat milk and vegan cheese.") == []
    assert [v.term for v in vegan.violations("Porridge with milk. Then cheese.")] == [
        "milk",
        "cheese",
    ]
    coeliac = checker({}, ["I'm coeliac"])
    assert coeliac.violations("Gluten-free bread with hummus.") == []
    assert [v.term for v in coeliac.violations("Bread with hummus.")] == ["bread"]


def test_negation_window_stops_at_the_sentence() -> None:
    grammar = LEXICON.grammar
    assert negated_before("I'd go with no ", grammar)
    assert negated_before("Avoid the ", grammar)
    assert not negated_before("No. Have some ", grammar)
    assert not negated_before("There is no better snack than ", grammar)


# -- decoding ------------------------------------------------------------------------------------

PIECES = [
    b"<end>", b" peanut", b"s", b" pe", b"anut", b"PEAN", b"UTS", b" butter", b" no", b".",
    b" apple", b"-free", b" nutmeg", b"nut", b",", b" p", b"ea", b"nuts,", b" Peanuts",
    b" bar", b"-", b"free", b" with", b"out", b" a", b" Pe", b"a", b"n", b"u", b"t",
]  # fmt: skip
END = 0


class FakeModel:
    """Greedy decoding that wants to write *script* (token texts), then ends."""

    def __init__(self, vocabulary: Vocabulary, script: list[str]) -> None:
        self.vocabulary = vocabulary
        self.script = [vocabulary.pieces.index(s.encode()) for s in script]

    def generate(self, processor: ConstraintProcessor, steps: int = 12) -> str:
        prompt = [END, END]
        out: list[int] = []
        for _ in range(steps):
            scores = np.zeros(self.vocabulary.size, dtype=np.float32)
            scores[self.vocabulary.pieces.index(b" apple")] = 2.0
            scores[END] = 1.0
            if len(out) < len(self.script):
                scores[self.script[len(out)]] = 30.0
            else:
                scores[END] = 5.0
            scores = processor(np.asarray(prompt + out), scores)
            token = int(np.argmax(scores))
            if token == END:
                break
            out.append(token)
        return b"".join(self.vocabulary.pieces[t] for t in out).decode()


def processor_for(memories: list[str]) -> tuple[Vocabulary, ConstraintProcessor, Checker]:
    vocabulary = Vocabulary(PIECES)
    built = constraints({}, memories)
    terms = [t for c in built for t in c.terms]
    unless = [w for c in built for w in c.unless]
    tables = build_tables(vocabulary, terms, unless, LEXICON.grammar)
    return vocabulary, ConstraintProcessor(tables, LEXICON.grammar), Checker(built, LEXICON.grammar)


@pytest.mark.parametrize(
    "script",
    [
        [" peanut", " butter"],
        [" peanut", "s", "."],
        [" pe", "anut", " butter"],
        [" p", "ea", "nut", "s", "."],
        [" p", "ea", "nuts,"],
        [" Pe", "a", "n", "u", "t", "."],
        ["PEAN", "UTS", "."],
        [" Peanuts", "."],
        [" peanut"],  # and then the end of the answer
    ],
)
def test_a_term_is_never_spelled_whatever_the_tokens(script: list[str]) -> None:
    vocabulary, processor, check = processor_for(["I'm allergic to peanuts"])
    text = FakeModel(vocabulary, script).generate(processor)
    assert check.violations(text) == [], text
    assert processor.fired, "the processor should say what it kept out"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ([" no", " peanut", "s", "."], " no peanuts."),
        ([" with", "out", " peanut", "s", "."], " without peanuts."),
        ([" peanut", "-free", " bar"], " peanut-free bar"),
        ([" peanut", "-", "free", " bar"], " peanut-free bar"),
        ([" nutmeg", "."], " nutmeg."),
        ([" apple", " butter", "."], " apple butter."),
    ],
)
def test_negated_free_and_unrelated_words_stay_possible(script: list[str], expected: str) -> None:
    vocabulary, processor, _ = processor_for(["I'm allergic to peanuts"])
    assert FakeModel(vocabulary, script).generate(processor) == expected
    assert processor.fired == []


def test_no_terms_changes_nothing() -> None:
    vocabulary = Vocabulary(PIECES)
    tables = build_tables(vocabulary, [], [], LEXICON.grammar)
    processor = ConstraintProcessor(tables, LEXICON.grammar)
    scores: Any = np.arange(len(PIECES), dtype=np.float32)
    assert list(processor(np.asarray([0]), scores.copy())) == list(scores)


# -- the user's changes, kept in the encrypted profile ---------------------------------------------


@pytest.fixture
def profile(tmp_path: Any) -> Any:
    from lampdesk.profile import Profile
    from lampdesk.vault.keys import KeyMode, ProfileKey
    from lampdesk.vault.store import Store

    key = ProfileKey(KeyMode.PASSPHRASE, "x")
    return Profile(Store.open(tmp_path / "p.db", key, create=True))


def test_book_finds_constraints_in_existing_memories_and_keeps_changes(profile: Any) -> None:
    from lampdesk.constraints.guard import ConstraintBook

    profile.add_memory("I'm allergic to peanuts")
    profile.add_memory("My sister Lea is vegan")
    profile.set_attributes([("diet", "vegetarian")])
    book = ConstraintBook(profile)
    assert [c.id for c in book.constraints()] == ["vegetarian", "peanut_allergy"]
    book.switch("vegetarian", on=False)
    book.add_terms("peanut_allergy", ["Bamba"])
    book.add_terms("Mushrooms", ["mushroom", "truffle"])
    book.remove_terms("peanut_allergy", ["satay"])
    again = {c.id: c for c in ConstraintBook(profile).constraints()}
    assert not again["vegetarian"].enabled
    assert "bamba" in again["peanut_allergy"].terms and "satay" not in again["peanut_allergy"].terms
    assert again["peanut_allergy"].allowed_terms == ("satay", "satays")
    assert again["mushrooms"].terms == ("mushroom", "mushrooms", "truffle", "truffles")
    book.switch("mushrooms", on=False)  # the user's own: removed
    book.switch("vegetarian", on=True)
    assert [c.id for c in ConstraintBook(profile).constraints()] == ["vegetarian", "peanut_allergy"]
    with pytest.raises(UsageError, match="no constraint"):
        book.switch("halal", on=False)


def test_profile_editor_state_and_changes_carry_constraints(profile: Any) -> None:
    from lampdesk.profile_edit import apply_changes, profile_state

    changes = {
        "attributes": [("diet", "vegan")],
        "constraints": {"off": ["vegan"], "terms": {"my exclusions": ["okra"]}},
    }
    state = apply_changes(profile, changes)
    shown = {c["id"]: c for c in state["constraints"]}
    assert shown["vegan"]["enabled"] is False and shown["vegan"]["sources"] == [
        "attribute diet=vegan"
    ]
    assert shown["my_exclusions"]["excludes"] == ["okra", "okras"]
    assert profile_state(profile)["constraints"] == state["constraints"]


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("What am I allergic to?", True),
        ("What is my diet?", True),
        ("What foods do I avoid?", True),
        ("Do I have any allergies?", True),
        ("Which snacks are OK for my allergies?", False),
        ("Suggest a dinner that fits my diet.", False),
        ("What should I eat tonight?", False),
    ],
)
def test_questions_about_the_constraints_themselves(question: str, about: bool) -> None:
    from lampdesk.constraints.guard import _ABOUT_CONSTRAINTS

    assert bool(_ABOUT_CONSTRAINTS.search(question)) is about
