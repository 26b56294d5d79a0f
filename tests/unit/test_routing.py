"""Routing (grounded or free), references resolved into requests, and grounded answers' form."""

from __future__ import annotations

import pytest

from lampdesk.evals import persona, progress
from lampdesk.prompting import grounded, quotes, routing
from lampdesk.retrieval.retriever import RetrievedItem


def item(id_: int, text: str) -> RetrievedItem:
    return RetrievedItem(id_, text, 1.0 / id_, {})


ITEMS = [
    item(1, "My sister Lea lives in Porto"),
    item(2, "My best friend is called Lucia."),
    item(3, "My mother's name is Wanjiru."),
    item(4, "I work night shifts as a paramedic."),
]
ATTRIBUTES = {"name": "Ana", "city": "Berlin", "diet": "vegan"}


@pytest.mark.parametrize(
    "question",
    [
        "Where does my sister live?",
        "What am I allergic to?",
        "When is my dentist appointment?",
        "What did I plant in March?",
        "What is my wife's name?",
        "Which instrument am I learning?",
        "What do I do for work?",
        "what sport does my son play",
        "Do I have a cat?",
    ],
)
def test_questions_about_the_users_own_facts_are_grounded(question: str) -> None:
    assert routing.route(question, ITEMS, ATTRIBUTES).mode == routing.GROUNDED


@pytest.mark.parametrize(
    "question",
    [
        "Give me a snack idea",
        "Suggest a dinner for tonight.",
        "What should I make for dinner tonight?",
        "What's a good dessert I could have?",
        "Where could I go for a run near home?",
        "Write a short thank-you note to my brother.",
        "Plan a day trip close to where I live.",
        "How do I fix a flat tyre?",
        "Can you recommend a museum in my city?",
        "What is the capital of France?",
        "Tell me a joke",
        "Any ideas for a weekend trip?",
    ],
)
def test_requests_and_general_questions_are_free(question: str) -> None:
    assert routing.route(question, ITEMS, ATTRIBUTES).mode == routing.FREE


def test_a_question_about_someone_the_profile_knows_is_grounded() -> None:
    items = [item(1, "Caroline: I researched adoption agencies last week.")]
    assert routing.route("What did Caroline research?", items, {}).mode == routing.GROUNDED
    # Nobody the profile knows: a general question.
    assert routing.route("What did Napoleon research?", items, {}).mode == routing.FREE


def test_forcing_and_bare_answers() -> None:
    question = "Where does my sister live?"
    forced = routing.route(question, ITEMS, ATTRIBUTES, forced=routing.FREE)
    assert forced.mode == routing.FREE and forced.forced
    assert routing.route("Suggest a dinner", ITEMS, {}, forced="grounded").mode == "grounded"
    assert routing.route(question, ITEMS, ATTRIBUTES, personalize=False).mode == routing.FREE
    with pytest.raises(ValueError):
        routing.route(question, ITEMS, ATTRIBUTES, forced="sometimes")


@pytest.mark.parametrize(
    ("request_", "expected", "value"),
    [
        ("Write a short thank-you note to my sister.", "to my sister Lea.", "Lea"),
        ("Write a birthday message for my best friend.", "my best friend Lucia.", "Lucia"),
        ("Write a short Mother's Day message for my mum.", "my mum Wanjiru.", "Wanjiru"),
        ("Recommend a museum in my city.", "in my city (Berlin).", "Berlin"),
        ("Plan a day trip close to where I live.", "close to where I live (Berlin).", "Berlin"),
        ("Where could I go for a run near home?", "near home (Berlin)?", "Berlin"),
    ],
)
def test_a_request_carries_the_person_or_place_it_refers_to(
    request_: str, expected: str, value: str
) -> None:
    route = routing.route(request_, ITEMS, ATTRIBUTES)
    assert route.mode == routing.FREE
    assert route.prompt_question.endswith(expected)
    assert [r.value for r in route.resolved] == [value]


def test_nothing_is_resolved_that_the_profile_does_not_know() -> None:
    route = routing.route("Write a note to my brother.", ITEMS, {})
    assert route.resolved == [] and route.prompt_question == "Write a note to my brother."
    # A place said in the request is not overridden.
    assert routing.resolve("Museums in my city Berlin?", ITEMS, ATTRIBUTES) == []


def test_a_place_can_come_from_a_memory() -> None:
    items = [item(7, "I live in Lisbon since 2019")]
    (found,) = routing.resolve("Suggest a walk near where I live", items, {})
    assert (found.value, found.source, found.ref) == ("Lisbon", "memory", "7")


def test_choices_hold_the_items_the_attributes_and_not_mentioned_last() -> None:
    choice = grounded.choices("Where do I live?", ITEMS[:1], ATTRIBUTES)
    assert choice.texts[-1] == quotes.NOT_MENTIONED and choice.sources[-1] is None
    assert "Berlin" in choice.texts and "Sister Lea lives in Porto" in choice.texts
    berlin = choice.texts.index("Berlin")
    assert choice.sources[berlin] == grounded.Source("attribute", "city", "Berlin")


def test_the_best_scored_memory_is_said_back_and_cited() -> None:
    choice = grounded.choices("Where does my sister live?", ITEMS[:1], ATTRIBUTES)
    scores = [0.0] * len(choice.texts)
    scores[choice.texts.index("Lea lives in Porto")] = 5.0
    found = grounded.answer_from(choice, scores)
    assert found.quote == "Lea lives in Porto"
    assert found.answer.splitlines() == [
        "Your sister Lea lives in Porto.",
        "(from memory #1: \u201cMy sister Lea lives in Porto\u201d)",
    ]
    assert found.source is not None and found.source.ref == "1"


def test_not_mentioned_winning_means_i_dont_know() -> None:
    choice = grounded.choices("What is my blood type?", ITEMS[:1], {})
    scores = [-50.0] * (len(choice.texts) - 1) + [50.0]
    found = grounded.answer_from(choice, scores)
    assert found.quote is None and found.answer == grounded.UNKNOWN
    assert "don't know" in found.answer


class _NoModel:
    def choose(self, *args: object, **kwargs: object) -> list[float]:
        raise AssertionError("nothing to choose from: the model is not asked")


def test_nothing_retrieved_is_unknown_without_the_model() -> None:
    found = grounded.answer(_NoModel(), "Where does my sister live?", [], [], {}, None)
    assert found is not None and found.answer == grounded.UNKNOWN


def test_what_someone_else_said_is_quoted_not_turned_around() -> None:
    source = grounded.Source("memory", "9", "Caroline: I researched adoption agencies")
    assert grounded.sentence("Adoption agencies", source) == "Adoption agencies."
    assert grounded.second_person("I'm allergic to peanuts") == "You're allergic to peanuts"


def test_violations_skip_negated_and_free_mentions() -> None:
    forbidden = ["peanut", "cheese", "egg"]
    assert persona.violations("Try peanut butter toast.", forbidden) == ["peanut"]
    assert persona.violations("Peanuts and eggs!", forbidden) == ["peanut", "egg"]
    assert persona.violations("A peanut-free bar, no cheese, without eggs.", forbidden) == []
    assert persona.violations("Eggplant stew", forbidden) == []


def test_progress_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    progress.note("eval answers: conv", 3, 10)
    out, err = capsys.readouterr()
    assert out == "" and "3/10 eval answers: conv" in err


def test_the_users_attributes_do_not_answer_for_their_relatives() -> None:
    assert routing.names_a_relation("Where does my brother live?")
    assert not routing.names_a_relation("Where do I live?")
    sister = grounded.choices("Where does my sister live?", ITEMS[:1], ATTRIBUTES)
    assert "Berlin" not in sister.texts
    mine = grounded.choices("Where do I live?", ITEMS[:1], ATTRIBUTES)
    assert "Berlin" in mine.texts and "Vegan" not in mine.texts
