"""Dates in questions and items: what a "when" question is, and which month or year it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_TEMPORAL_QUESTION = re.compile(
    r"\b(when|how long|how many (days|weeks|months|years)|what (year|month|day|date|time)|"
    r"which (year|month|day|date)|since|ago)\b",
    re.IGNORECASE,
)
#: Words by which a turn places an event in time ("yesterday", "last week", "in 2022").
_TIME_WORDS = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|last|next|ago|weekend|week|month|year|recently|"
    r"just|since|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"(19|20)\d\d|" + "|".join(sorted({n for n in MONTHS if len(n) > 3} | {"may"})) + r")\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b", re.I)
# "8 May, 2023", "1:56 pm on 8 May, 2023", "May 8, 2023", "2023-05-08"
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class DateHint:
    """The year and month a question names, if any."""

    year: int | None = None
    month: int | None = None

    def __bool__(self) -> bool:
        return self.year is not None or self.month is not None

    def matches(self, day: date) -> bool:
        if self.year is not None and day.year != self.year:
            return False
        return self.month is None or day.month == self.month


def is_temporal_question(question: str) -> bool:
    return bool(_TEMPORAL_QUESTION.search(question))


def mentions_time(text: str) -> bool:
    return bool(_TIME_WORDS.search(text))


def date_hint(question: str) -> DateHint:
    """The year and month named in *question* ("in May 2023", "in 2022")."""
    year_match = _YEAR.search(question)
    year = int(year_match.group(1)) if year_match else None
    month = None
    for match in _MONTH_WORD.finditer(question):
        word = match.group(1).lower()
        # "may" is usually the verb unless it sits next to a year or a day number.
        if word == "may" and not re.search(r"\bmay\s+(\d|of\b)|\d\s+may\b", question, re.I):
            continue
        month = MONTHS[word]
        break
    return DateHint(year, month)


def parse_day(text: str) -> date | None:
    """A calendar day from the common ways of writing one; ``None`` if there is none."""
    if match := _ISO.search(text):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    for pattern, day_group, month_group in ((_DAY_MONTH_YEAR, 1, 2), (_MONTH_DAY_YEAR, 2, 1)):
        for match in pattern.finditer(text):
            month = MONTHS.get(match.group(month_group).lower())
            if month is not None:
                try:
                    return date(int(match.group(3)), month, int(match.group(day_group)))
                except ValueError:
                    return None
    return None


def item_day(happened_at: str | None, created_at: str) -> date:
    """The day an item happened, else the day it was stored."""
    for value in (happened_at, created_at):
        if value:
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                continue
    return date.today()


def human_day(day: date) -> str:
    return f"{day.day} {day:%b} {day.year}"
