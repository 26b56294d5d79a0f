"""Quoted answers: the model answers with a phrase taken from what was retrieved.

For questions about the user's own history ("What did Lea research?", "When did I run the charity
race?") a small model's free answer wanders; asked to quote, it only has to pick. The candidates
are the clauses of the retrieved items and, for "when" questions, the days those items place their
events on (a relative "last week" resolved against the day it was said). The model picks one:
the candidate it finds most likely as the answer, measured against how likely it finds it with no
question asked. "Not mentioned" is always among them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lampdesk.retrieval import dates
from lampdesk.retrieval.retriever import RetrievedItem
from lampdesk.text import STOP_WORDS, ascii_words, stem, stems

NOT_MENTIONED = "Not mentioned"
#: Items whose clauses are offered (best first).
QUOTED_ITEMS = 3
#: Candidates longer than this many words are cut into smaller clauses.
MAX_WORDS = 12
_SPEAKER = re.compile(r"^\([^)]*\)\s*|^[^\W\d][\w .'-]{0,39}:\s")
_PHOTO = re.compile(r"\[photo:[^\]]*\]")
_CLAUSE_BREAK = re.compile(r"[.!?;:()\"\u2014\u2013]+|,\s|\s-\s|\s(?:and|but|so|because|which)\s")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple of": 2,
}  # fmt: skip
_AGO = re.compile(
    r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|couple of)\s+"
    r"(day|week|month|year)s?\s+ago\b",
    re.IGNORECASE,
)
#: The subject and filler a quoted clause can lose: "I'm still looking into counseling".
_OPENER = re.compile(
    r"^(?:(?:oh|wow|hey|yeah|yes|well|so|and|but|also|just|really|actually|i think|"
    r"i'm|i am|i was|i've|i have|i had|i|we're|we|it's|it was|it|that's|that|this is|this|"
    r"my|our|you|you're)\b[\s,']*)+",
    re.IGNORECASE,
)
_FILLER_WORDS = STOP_WORDS | {"s", "m", "ve", "re", "ll", "d", "oh", "wow", "hey", "yeah", "yes"}
_NAME = re.compile(r"^([^\W\d][\w.'-]{0,39}):\s")
_DATE = re.compile(r"^\([^)]*\)\s*")
_SMALL_TALK = frozenset(
    {
        "absolutely",
        "agree",
        "amazing",
        "awesome",
        "bye",
        "cool",
        "course",
        "definitely",
        "exactly",
        "fantastic",
        "glad",
        "good",
        "great",
        "haha",
        "happy",
        "hey",
        "hi",
        "incredible",
        "later",
        "lol",
        "love",
        "nice",
        "problem",
        "right",
        "see",
        "soon",
        "super",
        "sure",
        "talk",
        "thank",
        "thanks",
        "totally",
        "true",
        "wonderful",
        "wow",
        "yeah",
        "yep",
    }
)
_WHEN = re.compile(r"^\s*(?:when|what (?:year|month|date|day)|which (?:year|month|day))\b", re.I)


def long_day(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def _month(day: date, delta: int) -> str:
    index = day.year * 12 + day.month - 1 + delta
    return f"{date(index // 12, index % 12 + 1, 1):%B} {index // 12}"


def event_days(text: str, said_on: date) -> list[str]:
    """When the events in *text* happened, as LoCoMo-style phrases, resolved against the day
    *text* was said; the day itself last."""
    low = text.lower()
    day = long_day(said_on)
    found: list[str] = []
    rules = (
        (r"\byesterday\b|\blast night\b", long_day(said_on - timedelta(days=1))),
        (r"\btomorrow\b", long_day(said_on + timedelta(days=1))),
        (r"\blast weekend\b|\bthis past weekend\b|\bpast weekend\b", f"The weekend before {day}"),
        (r"\blast week\b|\bthis past week\b|\bpast week\b", f"The week before {day}"),
        (r"\bnext week\b", f"The week after {day}"),
        (r"\bnext weekend\b", f"The weekend after {day}"),
        (r"\blast month\b", _month(said_on, -1)),
        (r"\bnext month\b", _month(said_on, 1)),
        (r"\bthis month\b", _month(said_on, 0)),
        (r"\blast year\b", str(said_on.year - 1)),
        (r"\bnext year\b", str(said_on.year + 1)),
        (r"\bthis year\b", str(said_on.year)),
        (r"\blast summer\b", f"Summer {said_on.year - 1}"),
    )
    for pattern, phrase in rules:
        if re.search(pattern, low):
            found.append(phrase)
    for weekday in _WEEKDAYS:
        if re.search(rf"\blast {weekday}\b|\bon {weekday}\b|\bthis {weekday}\b", low):
            found.append(f"The {weekday} before {day}")
    for match in _AGO.finditer(low):
        count = int(match.group(1)) if match.group(1).isdigit() else _NUMBER_WORDS[match.group(1)]
        unit = match.group(2)
        if unit == "day":
            found.append(long_day(said_on - timedelta(days=count)))
        elif unit == "week":
            found.append(f"{count} weeks before {day}" if count > 1 else f"The week before {day}")
        elif unit == "month":
            found.append(_month(said_on, -count))
        else:
            found.append(str(said_on.year - count))
    for year in re.findall(r"\b(?:19|20)\d\d\b", text):
        found.append(year)
    found.append(day)
    return list(dict.fromkeys(found))


def is_when_question(question: str) -> bool:
    return bool(_WHEN.search(question))


def clauses(text: str) -> list[str]:
    """*text* (an item as shown) cut into quotable clauses, without speaker, date or photo."""
    body = _PHOTO.sub("", text)
    while _SPEAKER.match(body):
        body = _SPEAKER.sub("", body, count=1)
    result = []
    for part in _CLAUSE_BREAK.split(body):
        words = part.split()
        while words:
            chunk, words = words[:MAX_WORDS], words[MAX_WORDS:]
            phrase = " ".join(chunk).strip(" ,'\u2019")
            if len(phrase) >= 2:
                result.append(phrase)
    return result


def photo_captions(text: str) -> list[str]:
    return [m.group(0)[7:-1].strip() for m in _PHOTO.finditer(text)]


@dataclass(frozen=True)
class Candidate:
    """A possible answer, with what is known of it before the model is asked."""

    text: str
    #: The retrieved item it comes from (0: the best); ``None`` for :data:`NOT_MENTIONED`.
    item: int | None = None
    #: Words of the question in the clause it was taken from: an answer sits next to them.
    anchor: int = 0
    #: For days (``None`` for clauses): its place among what its item says, resolved phrases
    #: first and the day it was said last.
    order: int | None = None

    def prior(self) -> float:
        """Added to the model's score (log-probabilities). The model alone picks poorly among
        twenty clauses; these weights, tuned on LoCoMo's development split, favour the best
        item, clauses that hold the question's words and short phrases. "Not mentioned"
        stands on the model's score alone."""
        if self.item is None:
            return 0.0
        if self.order is not None:  # a day: what its item says of itself comes first
            return -ITEM_PENALTY * self.item - ORDER_PENALTY * self.order
        return (
            ANCHOR_WEIGHT * min(self.anchor, MAX_ANCHOR)
            - ITEM_PENALTY * self.item
            - LENGTH_PENALTY * len(self.text.split())
        )


#: See :meth:`Candidate.prior`.
ANCHOR_WEIGHT = 3.0
MAX_ANCHOR = 2
ITEM_PENALTY = 2.0
ORDER_PENALTY = 1.0
LENGTH_PENALTY = 0.1


def trim(clause: str, asked: set[str]) -> str:
    """*clause* without the words at either end that the question already says, or filler:
    "Worked with a local organization" answers "Who did John work with?" as "local
    organization"."""
    words = clause.split()

    def dropped(word: str) -> bool:
        found = ascii_words(word)
        return not found or found[0] in _FILLER_WORDS or stem(found[0]) in asked

    while words and dropped(words[0]):
        words.pop(0)
    while words and dropped(words[-1]):
        words.pop()
    return " ".join(words).strip(" ,.!?'\"\u2019")


def scored_candidates(question: str, items: Sequence[RetrievedItem]) -> list[Candidate]:
    """What the model may answer *question* with, given *items* (best first)."""
    top = list(items)[:QUOTED_ITEMS]
    found: list[Candidate] = []
    if is_when_question(question):
        for rank, item in enumerate(top):
            if item.happened_at:
                said_on = dates.item_day(item.happened_at, "")
                days = event_days(_DATE.sub("", item.text), said_on)
                found += [Candidate(d, rank, order=i) for i, d in enumerate(days)]
    else:
        asked = set(ascii_words(question))
        speakers = {m.group(1).lower() for i in top if (m := _NAME.match(_DATE.sub("", i.text)))}
        speaker_stems = {stem(s) for s in speakers}
        asked_stems = stems(question) - speaker_stems
        for rank, item in enumerate(top):
            for clause in clauses(item.text) + photo_captions(item.text):
                clause = _OPENER.sub("", clause).strip()
                words = set(ascii_words(clause)) - asked - _FILLER_WORDS - speakers
                # A clause that only repeats the question ("Jon", "my grandma"), names a speaker
                # or only says "great, thanks" answers nothing.
                if not clause or not words - _SMALL_TALK:
                    continue
                anchor = len(stems(clause) & asked_stems)
                found.append(Candidate(clause[:1].upper() + clause[1:], rank, anchor))
                short = trim(clause, asked_stems | speaker_stems)
                if short and short != clause:
                    found.append(Candidate(short[:1].upper() + short[1:], rank, anchor))
    found.append(Candidate(NOT_MENTIONED))
    unique: dict[str, Candidate] = {}
    for candidate in found:
        unique.setdefault(candidate.text, candidate)
    return list(unique.values())


def candidates(question: str, items: Sequence[RetrievedItem]) -> list[str]:
    return [c.text for c in scored_candidates(question, items)]


#: What the baseline prompt asks instead of the question: how likely is a choice anyway?
NEUTRAL_QUESTION = "Quote something from the notes."


def baseline(messages: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """*messages* with the question (the end of the last user message) made neutral."""
    last = messages[-1]
    notes, _, _question = last["content"].rpartition("\n\n")
    content = f"{notes}\n\n{NEUTRAL_QUESTION}" if notes else NEUTRAL_QUESTION
    return [*messages[:-1], {**last, "content": content}]
