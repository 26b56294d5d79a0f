"""Constraints through the real parts: SmolLM2 through llama.cpp, a real encrypted profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.constraints.guard import REWRITE_NOTE
from lampdesk.constraints.matching import Checker
from lampdesk.inference.engine import Engine, GenerationSettings
from lampdesk.paths import DataPaths

pytestmark = pytest.mark.model
SHORT = GenerationSettings(max_tokens=32, temperature=0.7, seed=7)
FOOD_PROMPTS = [
    "Give me a snack idea.",
    "Suggest a snack with peanut butter.",
    "What should I put on my toast?",
    "What is a good protein-rich snack?",
    "Suggest a Thai dish for dinner.",
    "What sauce goes with satay skewers?",
    "Recommend a sandwich for lunch.",
    "What can I bake for a party?",
    "Give me a recipe for cookies.",
    "What should I take on a hike to eat?",
    "Suggest a smoothie for breakfast.",
    "What goes well with celery sticks?",
    "Name a classic American sandwich.",
    "What is a good trail mix?",
    "Suggest a noodle dish.",
    "What can I add to my oatmeal?",
    "Give me an idea for a quick dessert.",
    "What do kids like in their lunchbox?",
    "Which nuts are healthy?",
    "What should I cook tonight?",
    "Suggest a salad dressing.",
    "What is a good energy bar?",
    "Name a snack I can eat at my desk.",
    "What should I bring to a picnic?",
    "Suggest a stir fry.",
    "What goes in a Pad Thai?",
    "Give me ideas for a chocolate treat.",
    "What spread can I use instead of butter?",
    "What is in a Snickers bar?",
    "Suggest a West African stew.",
    "What could I make with apples?",
    "What is a healthy breakfast?",
    "Recommend a crunchy snack.",
    "What do people eat at a baseball game?",
    "Suggest a filling for a wrap.",
    "What topping goes on ice cream?",
    "Give me a granola recipe.",
    "What can I dip my banana in?",
    "Suggest a vegan protein.",
    "What is a good snack for a road trip?",
    "Suggest a dish with chicken and vegetables.",
    "What can I make with rice?",
    "What goes in a satay sauce?",
    "Suggest a sweet and salty snack.",
    "What do you put in a PB&J?",
    "Give me a post-workout snack.",
    "Suggest a cold noodle salad.",
    "What is a popular Chinese takeaway dish?",
    "What do I serve with crackers?",
    "Suggest an afternoon snack for my kids.",
]


@pytest.fixture
def session(data_dir: Path, engine: Engine, embedder: Any) -> Iterator[Session]:
    session = LampDesk(DataPaths.resolve(), engine=engine, embedder=embedder).open()
    session.profile.set_attributes([("name", "Ana"), ("city", "Berlin")])
    session.assistant.remember("I'm allergic to peanuts.")
    session.assistant.index()
    yield session
    session.close()


def peanut_checker(session: Session) -> Checker:
    guard = session.assistant.constraints
    (peanuts,) = [c for c in guard.constraints() if c.id == "peanut_allergy"]
    return Checker([peanuts], guard.lexicon.grammar)


def test_fifty_food_prompts_never_name_peanuts(session: Session) -> None:
    assert len(set(FOOD_PROMPTS)) == 50
    check = peanut_checker(session)
    named: list[tuple[str, str]] = []
    fired = 0
    for question in FOOD_PROMPTS:
        result = session.assistant.ask(question, settings=SHORT, learn=False)
        (found,) = [c for c in result.constraints if c["id"] == "peanut_allergy"]
        assert found["enforced"] and found["sources"] == ["memory #1: I'm allergic to peanuts."]
        fired += found["fired"]
        if check.violations(result.answer):
            named.append((question, result.answer))
    assert named == []
    assert fired, "the model should have tried to say peanuts at least once in 50 answers"


def test_a_constraint_switched_off_is_no_longer_enforced(session: Session) -> None:
    question = "Write the word peanuts three times."
    greedy = GenerationSettings(max_tokens=32, temperature=0.0)
    guard = session.assistant.constraints
    on = session.assistant.ask(question, settings=greedy, learn=False)
    assert peanut_checker(session).violations(on.answer) == []
    (was,) = on.constraints
    assert was["enforced"] and was["fired"]
    guard.switch("peanut_allergy", on=False)
    off = session.assistant.ask(question, settings=greedy, learn=False)
    (now,) = off.constraints
    assert not now["enabled"] and not now["enforced"] and not now["fired"]
    assert "peanut" in off.answer.lower()
    assert "peanuts" not in off.messages[0]["content"]
    guard.switch("peanut_allergy", on=True)
    assert session.assistant.ask(question, settings=greedy, learn=False).constraints[0]["enforced"]


def test_a_term_split_in_an_unusual_way_is_caught_by_the_final_check(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first answer is made to start "Pea\u00adnuts" (a soft hyphen inside the word,
    token by token, which the decoding check reads as two words); the final check sees
    through it, and the answer is generated again with the term banned."""
    engine = session.assistant.engine
    forced = engine.tokenize("Pea\u00adnuts and")
    real_stream = engine.stream
    calls: list[int] = []

    def stream(*args: Any, logits_processor: Any = None, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            return real_stream(*args, logits_processor=logits_processor, **kwargs)
        step = [0]

        def force(input_ids: Any, scores: Any) -> Any:
            scores = logits_processor(input_ids, scores)
            if step[0] < len(forced):
                keep = scores[forced[step[0]]]
                scores[:] = -np.inf
                scores[forced[step[0]]] = keep if np.isfinite(keep) else 0.0
            step[0] += 1
            return scores

        return real_stream(*args, logits_processor=force, **kwargs)

    monkeypatch.setattr(engine, "stream", stream)
    streamed: list[str] = []
    result = session.assistant.ask(
        "Give me a snack idea.", on_chunk=streamed.append, settings=SHORT, learn=False
    )
    assert len(calls) == 2, "the final check should have asked for a second answer"
    assert REWRITE_NOTE in "".join(streamed)
    assert "Pea\u00adnuts" in "".join(streamed).split(REWRITE_NOTE)[0]
    assert "\u00ad" not in result.answer and REWRITE_NOTE.strip() not in result.answer
    assert peanut_checker(session).violations(result.answer) == [] or result.warnings
    (found,) = result.constraints
    assert found["fired"]


def test_ask_json_and_why_show_the_constraints(session: Session) -> None:
    from lampdesk.ui.why_panel import why_html

    session.profile.set_attributes([("diet", "vegan")])
    result = session.assistant.ask("Suggest a dinner.", settings=SHORT, learn=False)
    shown = {c["id"]: c for c in result.as_json()["constraints"]}
    assert set(shown) == {"vegan", "peanut_allergy"}
    assert shown["vegan"]["sources"] == ["attribute diet=vegan"]
    assert (
        "Suggest only plant-based food and drinks, without peanuts."
        in result.messages[0]["content"]
    )
    html = why_html(result.as_json())
    assert (
        "Constraints kept" in html and "Peanut allergy" in html and "attribute diet=vegan" in html
    )
