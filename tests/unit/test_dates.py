from datetime import date

import pytest

from lampdesk.retrieval.dates import (
    DateHint,
    date_hint,
    human_day,
    is_temporal_question,
    item_day,
    mentions_time,
    parse_day,
)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1:56 pm on 8 May, 2023", date(2023, 5, 8)),
        ("May 8, 2023", date(2023, 5, 8)),
        ("2024-02-29", date(2024, 2, 29)),
        ("on 31 February, 2023", None),
        ("no date here", None),
    ],
)
def test_parse_day(text: str, day: date | None) -> None:
    assert parse_day(text) == day


def test_temporal_questions() -> None:
    assert is_temporal_question("When did Ana go to Lisbon?")
    assert is_temporal_question("How long has Ben been rowing?")
    assert not is_temporal_question("What does Ana like to cook?")


def test_date_hint_reads_months_and_years_but_not_the_verb_may() -> None:
    assert date_hint("What did Ana do in May 2023?") == DateHint(2023, 5)
    assert date_hint("Where did Ben travel in 2022?") == DateHint(2022, None)
    assert not date_hint("May I ask what Ana likes?")
    assert date_hint("What happened in March?") == DateHint(None, 3)


def test_hint_matches_days() -> None:
    assert DateHint(2023, 5).matches(date(2023, 5, 30))
    assert not DateHint(2023, 5).matches(date(2022, 5, 30))


def test_item_day_prefers_when_it_happened() -> None:
    assert item_day("2023-05-08", "2025-01-01T10:00:00+00:00") == date(2023, 5, 8)
    assert item_day(None, "2025-01-01T10:00:00+00:00") == date(2025, 1, 1)
    assert human_day(date(2023, 5, 8)) == "8 May 2023"


def test_time_words() -> None:
    assert mentions_time("I went there yesterday")
    assert not mentions_time("I like green tea")
