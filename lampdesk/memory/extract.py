"""Candidate facts about the user, drawn from what the user wrote.

Two extractors share one output, :class:`Candidate`:

- :func:`extract_by_rules`: explicit statements ("my name is", "I am", "I prefer", "call me",
  "I live in", dates of the user's events), instant and deterministic; always on.
- :func:`extract_by_model`: the local model, asked for JSON under a llama.cpp grammar built from
  :data:`FACTS_SCHEMA`, so malformed output cannot be produced (only the model's choice of facts
  can be poor: small models are offered it, not forced to use it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lampdesk.memory import cues
from lampdesk.profile import CONSTRAINT_KINDS as CONSTRAINT_KINDS
from lampdesk.profile import DIET_TYPES
from lampdesk.profile import constraint_of as constraint_of

#: Topics a fact can be about. A *single* topic holds one current truth (a newer statement
#: replaces the older one); the others collect many facts. "style" is how the user wants to be
#: answered; "allergy" and "health" (and "diet", see :func:`constraint_of`) are constraints.
SINGLE_TOPICS = ("name", "age", "diet", "home", "work", "birthday", "relationship")
MULTI_TOPICS = (
    "likes", "dislikes", "activities", "habits", "allergy", "health", "family", "pets",
    "style", "language", "learning", "plans", "things", "other",
)  # fmt: skip
TOPICS = SINGLE_TOPICS + MULTI_TOPICS

#: What the model must produce: at most three short facts, each with a known topic.
FACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 3, "maxLength": 100},
                    "topic": {"type": "string", "enum": list(TOPICS)},
                },
                "required": ["text", "topic"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["facts"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Candidate:
    """A fact the user stated, as it will be stored, with what the update decision needs."""

    text: str
    topic: str
    #: The statement says something is no longer so ("I don't eat meat anymore").
    negated: bool = False
    #: "rules" or "model".
    extractor: str = "rules"


_SENTENCES = re.compile(r"[^.!?\n]+[.!?]?")
#: Where a sentence joins two statements: "I'm vegan, and I live in Berlin".
_CLAUSES = re.compile(r"(?:,|;)?\s+(?:and|but|also)\s+(?=(?:i|i'm|my)\b)|;\s*", re.IGNORECASE)
#: "My partner" before "and I ...": the subject of the clause that follows, not a clause.
_COMPOUND_SUBJECT = re.compile(r"^(?:my|our|me)(?:\s+\S+){0,2}$", re.IGNORECASE)
_FOOD = (
    r"vegan|vegetarian|pescatarian|carnivore|keto|paleo|gluten|dairy|lactose|kosher|halal|"
    r"meat|steaks?|beef|pork|bacon|chicken|fish|seafood|burgers?|sausages?|ham|lamb|tofu|"
    r"eggs?|cheese|milk|sugar|salads?|vegetables|veggies|fruit|sushi|pizza|pasta"
)
_FOOD_WORD = re.compile(rf"\b(?:{_FOOD})\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:no longer|not anymore|anymore|any more|don't|do not|doesn't|never|stopped|quit|"
    r"gave up|am not|i'm not|not a)\b",
    re.IGNORECASE,
)
_CONDITION = (
    r"asthma|diabet\w*|epilep\w*|coeliac|celiac|crohn's|arthritis|migraines?|eczema|psoriasis|"
    r"anemi\w*|anaemi\w*|adhd|autis\w*|dyslexi\w*|anxiety|depression|insomnia|tinnitus|apnea|"
    r"apnoea|ibs|colou?r-?blind|short-?sighted|long-?sighted|deaf|hard of hearing|blind|"
    r"pregnant|blood pressure|cholesterol|heart (?:condition|murmur|problems?|disease)|"
    r"pacemaker|wheelchair|crutches|surgery|injur\w*|sprained|broke my|broken|disease|disorder|"
    r"syndrome|condition|diagnos\w*|chronic|insulin|medication|blood thinners|chemo\w*|"
    r"cancer|allerg\w* to (?:penicillin|aspirin|ibuprofen|sulfa|medication|antibiotics)|"
    r"smok(?:e|es|ed|ing)|vap(?:e|ing)|sober|bad (?:back|knee|hip|shoulder)|recovering from"
)
_DIET_TYPE = DIET_TYPES
_PET = r"dogs?|cats?|pupp(?:y|ies)|kittens?|parrots?|hamsters?|rabbits?|horses?|pets?|tortoises?"
_RELATIVE = (
    r"sister|brother|mother|father|mom|mum|mam|dad|son|daughter|kids?|children|child|baby|"
    r"parents|grandma|grandmother|grandpa|grandfather|granny|aunt|uncle|cousin|niece|nephew|"
    r"wife|husband|partner|girlfriend|boyfriend|fianc[eé]e?|twins?|stepdad|stepmum|stepmom|"
    r"in-laws?|mother-in-law|father-in-law|siblings?|grandchildren|grandson|granddaughter|"
    r"family"
)
#: (pattern, topic); the first that matches a sentence decides its topic.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), topic)
    for pattern, topic in (
        (
            r"\b(?:my name is|call me|i'm called|i am called|my name's|i go by|the name's|"
            r"(?:people|everyone|they|friends) calls? me)\s+\w",
            "name",
        ),
        (
            r"\ballergic to (?:penicillin|aspirin|ibuprofen|codeine|sulfa|antibiotics|"
            r"medications?|anaesthetics?|anesthetics?|latex)\b",
            "health",
        ),
        (
            r"\ballerg(?:ic|y|ies)\b|\bintoleran(?:t|ce)\b|\bgives? me hives\b|\bepipen\b|"
            r"\breact badly to\b|\bhay fever\b",
            "allergy",
        ),
        (rf"\b(?:{_CONDITION})\b|\bmy (?:doctor|diagnosis|condition|gp|therapist)\b", "health"),
        (
            rf"\bi(?:'m| am)\s+(?:now\s+|not\s+|no longer\s+|mostly\s+)?(?:an?\s+)?(?:{_FOOD})\b",
            "diet",
        ),
        (rf"\b(?:went|gone|going|switched to an?|follow an?|on an?)\s+(?:{_DIET_TYPE})\b", "diet"),
        (rf"\b(?:we|i)(?:'re| are| am)\s+(?:all\s+|both\s+)?(?:{_DIET_TYPE})\b", "diet"),
        (
            rf"\bi\s+(?:[\w']+\s+){{0,2}}(?:eat|eating|ate|drink|drinking|cook|avoid|cut out|"
            rf"gave up|give up|stopped eating|keep)\b.*\b(?:{_FOOD}|coffee|caffeine|alcohol|"
            rf"beer|wine|soda|sugar|carbs|{_DIET_TYPE})\b",
            "diet",
        ),
        (
            r"\bi(?:'m| am|'ve been| have been)\s+(?:now\s+|happily\s+|just\s+|recently\s+)?"
            r"(?:married|single|divorced|engaged|dating|widowed|separated|seeing someone)\b|"
            r"\b(?:got|getting|we're|we are)\s+(?:engaged|married|divorced)\b|\bbroke up\b|"
            r"\bi have an? (?:girlfriend|boyfriend|partner|wife|husband|fianc[eé]e?)\b",
            "relationship",
        ),
        (
            r"\bi(?:'m| am)\s+(?:now\s+|almost\s+|nearly\s+)?\d{1,3}(?:\s+years?\s+old)?\s*[.!]?$|"
            r"\bi (?:just |recently )?turned \d{1,3}\b|\bi(?:'m| am) in my (?:teens|twenties|"
            r"thirties|forties|fifties|sixties|seventies|eighties|nineties)\b|"
            r"\bi(?:'ll| will) be \d{1,3}\b|\bi(?:'m| am) \d{1,3} years old\b",
            "age",
        ),
        (
            r"\b(?:i|we)\s+(?:now\s+|still\s+|just\s+|recently\s+|finally\s+)?(?:live|lived|moved|"
            r"relocated|settled|am moving|'m moving|are moving|'re moving|moving)\b(?:\s+\w+)?"
            r"\s+(?:in|to|into|near|outside|back)\b|"
            r"\b(?:i|we)(?:'ve| have)\s+been living\b|\b(?:i|we) live (?:alone|with|by myself|"
            r"on my own|together)\b|\bi(?:'m| am)\s+(?:based|living)\s+in\b|"
            r"\bi(?:'m| am)\s+(?:originally\s+)?from\s+\w|\bhome (?:for me )?is\b|"
            r"\bmy (?:home|hometown) is\b|"
            r"\b(?:bought|buying|rent|renting|rented)\s+(?:a|an|our|my)\s+(?:new\s+|small\s+|"
            r"little\s+)?(?:house|flat|apartment|home|place|condo)\b",
            "home",
        ),
        (
            r"\bi\s+(?:now\s+)?work\s+(?:as|at|for|in|from|nights|part-time|full-time)\b|"
            r"\bmy (?:job|profession|boss|employer|colleagues?|career|office)\b|"
            r"\b(?:new|first|old) job\b|\bjob (?:as|at)\b|\bgot (?:promoted|hired|fired)\b|"
            r"\blaid off\b|\bi(?:'m| am)\s+(?:now\s+)?(?:retired|unemployed|self-employed|"
            r"freelanc\w*|between jobs|on (?:parental|maternity|paternity) leave)\b|"
            r"\bi (?:run|own|manage|founded|started) (?:a|an|my own|our)\s+(?:\w+\s+){0,2}"
            r"(?:business|company|shop|bakery|restaurant|cafe|startup|firm|studio|practice)\b|"
            r"\bi teach\b|\bshifts?\b",
            "work",
        ),
        (
            r"\bi(?:'m| am)\s+(?:now\s+)?an?\s+(?:\w+\s+)?(?:teacher|engineer|developer|doctor|"
            r"nurse|student|designer|writer|lawyer|manager|artist|chef|scientist|programmer|"
            r"accountant|researcher|consultant|counselor|counsellor|mechanic|farmer|"
            r"photographer|musician|electrician|pharmacist|tester|librarian|paramedic|"
            r"architect|barista|physiotherapist|analyst|translator|plumber|veterinarian|vet|"
            r"hygienist|worker|pilot|driver|cleaner|carpenter|journalist|editor|dentist|"
            r"surgeon|professor|lecturer|economist|banker|clerk|officer|firefighter|"
            r"soldier|baker|butcher|waiter|waitress|cashier|technician|administrator|"
            r"secretary|receptionist|therapist|psychologist|midwife|caregiver|nanny|tutor)\b",
            "work",
        ),
        (
            r"\bi(?:'m| am|'ve been| have been)\s+(?:\w+\s+)?(?:learning|studying|taking|"
            r"teaching myself|doing a|in my (?:first|second|third|final) year)\b|"
            r"\bi(?:'m| am) (?:training|studying) to (?:be|become)\b|"
            r"\b(?:classes|course|lessons|degree|master's|masters|phd|bootcamp)\b",
            "learning",
        ),
        (
            r"\bi\s+(?:can\s+)?speak\s+\w|\bmy (?:native|first|mother) (?:language|tongue)\b|"
            r"\bfluent in\b|\bnative \w+ speaker\b|\bgrew up speaking\b",
            "language",
        ),
        (r"\bmy birthday\b|\bi was born\b|\bmy birthday's\b", "birthday"),
        (
            rf"\bmy\s+(?:\w+\s+)?(?:{_PET})\b|\bour\s+(?:\w+\s+)?(?:{_PET})\b|"
            rf"\b(?:i|we)\s+(?:have|own|adopted|got|'ve got|just got)\s+(?:a|an|two|three|"
            rf"four|\d+)\s+(?:[\w-]+\s+){{0,2}}(?:{_PET}|beagle|retriever|collie|husky|spaniel|"
            rf"terrier|greyhound|labrador|poodle|chickens?|goldfish)\b",
            "pets",
        ),
        (
            rf"\b(?:my|our)\s+(?:\w+\s+)?(?:{_RELATIVE})(?:'s)?\b|"
            rf"\bi have (?:a|an|one|two|three|four|five|\d+)\s+(?:\w+\s+)?(?:kids?|children|"
            rf"sons?|daughters?|brothers?|sisters?|siblings|grandchildren|twins)\b|"
            rf"\b(?:expecting|having) (?:a baby|twins|our|a boy|a girl)\b|\bonly child\b|"
            rf"\bbecame a (?:grand)?(?:father|mother|dad|mum|mom|parent)\b|\bsingle (?:mom|mum|"
            rf"dad|parent)\b|\bi(?:'m| am) a (?:twin|dad|mum|mom|parent|father|mother)\b",
            "family",
        ),
        (
            r"\bi(?:'m| am)\s+(?:\w+\s+)?(?:training|planning|saving|preparing|hoping|trying)\s+"
            r"(?:for|to|up)\b|\bmy goal\b|\bi(?:'m| am) getting\b|"
            r"\b(?:i|we)(?:'ll| will| am going to|'m going to|'re going to| are going to)\s+\w+"
            r".*\b(?:next|on|in|this|tomorrow)\b|"
            r"\b(?:we're|we are|i'm|i am) (?:going|flying|travelling|traveling|heading) to\b|"
            r"\bi want to (?:run|climb|visit|learn|finish|start|write|lose|save|buy|travel)\b|"
            r"\bi have (?:a|an|my)\s+\w+(?:\s+\w+)?\s+(?:on|next|this|tomorrow)\b",
            "plans",
        ),
        (
            r"\bi(?:'m| am) an? (?:early riser|night owl|night person|morning person|"
            r"early bird|light sleeper|heavy sleeper)\b|"
            r"\bi\s+(?:usually|normally|always|often|rarely|seldom|tend to|mostly|generally|"
            r"never)\b|\b(?:every|each) (?:morning|day|night|evening|week|weekend)\b|"
            r"\b(?:twice|once|three times) a (?:day|week)\b|\bmost (?:days|nights|mornings)\b|"
            r"\bi (?:walk|bike|cycle|drive|commute|take the (?:bus|train|tube|metro)) to "
            r"(?:work|the office|school)\b",
            "habits",
        ),
        (
            r"\bi\s+(?:(?:usually|often|regularly|still|sometimes|rarely|never|no longer|don't|"
            r"do not|stopped|quit|gave up|used to|took up|started)\s+)?(?:play|go|run|swim|cook|"
            r"paint|draw|read|write|practi[cs]e|volunteer|collect|hike|bake|knit|garden|dance|"
            r"sing|climb|cycle|ride|meditate|coach|teach|do|surf|row|fish|ski|skate|sew|"
            r"crochet)(?:s|ing)?\b|\btook up\b|\bi(?:'m| am) (?:a|an) (?:keen|avid|amateur)\b",
            "activities",
        ),
        (
            r"\bi\s+(?:drive|own|use|have)\s+(?:a|an|my|the|two)\s+(?:\w+\s+){0,2}(?:car|"
            r"bike|bicycle|motorbike|scooter|vespa|van|truck|laptop|phone|iphone|android|"
            r"tablet|camera|piano|guitar|garden|desk|boat|tesla|honda|toyota|volvo|bmw)\b|"
            r"\bmy (?:car|bike|laptop|phone|camera|computer|house|flat|apartment|garden|van) "
            r"is\b|\bi don't (?:own|have) a (?:car|tv|phone|bike)\b",
            "things",
        ),
        (
            r"\bi\s+(?:really\s+)?(?:hate|dislike|can't stand|cannot stand|don't like|"
            r"do not like|detest|loathe)\b|\bi(?:'m| am) (?:not a fan of|scared of|afraid of|"
            r"terrified of)\b|\bisn't my thing\b|\bstress(?:es)? me out\b",
            "dislikes",
        ),
        (
            r"\bi\s+(?:really\s+|absolutely\s+|just\s+|'ve always\s+|have always\s+)?(?:love|like|"
            r"enjoy|prefer|adore|loved)\b|\bmy favou?rite\b|\b(?:big|huge) fan\b|\bfan of\b|"
            r"\bi(?:'m| am) (?:really |so |very )?(?:into|obsessed with|passionate about)\b|"
            r"\bis my favou?rite\b|\bsupporter\b",
            "likes",
        ),
    )
)
#: A standing preference about how to be answered, stated as an instruction or a liking.
STYLE = "style"


def statement_clauses(text: str) -> list[str]:
    """*text* cut into the sentences and joined clauses that may each state one thing."""
    result: list[str] = []
    for match in _SENTENCES.finditer(text):
        pending = ""
        for part in _CLAUSES.split(match.group(0)):
            clause = " ".join(part.split()).strip()
            if pending:
                clause, pending = f"{pending} and {clause}", ""
            if _COMPOUND_SUBJECT.match(clause):
                pending = clause  # "my partner and I just bought...": one statement
                continue
            if len(clause) >= 3:
                result.append(clause)
        if pending:
            result.append(pending)
    return result


def rule_topic(sentence: str) -> str | None:
    """The topic the rules give *sentence*, or ``None`` when no rule matches."""
    if cues.cues(sentence)["style"]:
        return STYLE
    for pattern, topic in _RULES:
        if pattern.search(sentence):
            if topic in ("likes", "dislikes") and _FOOD_WORD.search(sentence):
                topic = "diet"  # "I love steak" says something about the diet
            return topic
    return None


def candidate(sentence: str, topic: str) -> Candidate:
    """*sentence* as a memory on *topic* (cleaned; negation noted)."""
    negated = bool(_NEGATION.search(sentence)) and topic not in ("dislikes", "style")
    return Candidate(_clean(sentence), topic, negated)


def extract_by_rules(text: str) -> list[Candidate]:
    """The user's explicit statements about themselves in *text*, one per sentence: those the
    cues do not turn down (requests, questions, hypotheticals...) and a topic rule matches."""
    found: list[Candidate] = []
    for sentence in statement_clauses(text):
        if len(sentence) < 6 or cues.refused(cues.cues(sentence)):
            continue
        topic = rule_topic(cues.core(sentence))
        if topic is not None:
            found.append(candidate(sentence, topic))
    return unique(found)


_SLOT_PATTERNS = {
    "diet": re.compile(
        rf"\b(?:{_DIET_TYPE})\b|\b(?:eat|eating|ate)\s+(?:\w+\s+)?(?:meat|fish|animal|steak|"
        rf"beef|pork)\b|\blove (?:a good )?steak\b",
        re.IGNORECASE,
    ),
}


def slot_of(text: str, topic: str | None) -> str | None:
    """The one-answer slot *text* fills (a newer statement replaces the older one), if any:
    its topic when that holds one truth ("home", "name"...); for "diet", only statements of
    the kind of diet ("I'm vegan", "I don't eat meat"), not "I don't drink coffee"."""
    if topic not in SINGLE_TOPICS:
        return None
    pattern = _SLOT_PATTERNS.get(topic)
    if pattern is not None and not pattern.search(text):
        return None
    return topic


#: Openers that are not part of the statement: "Honestly, I'm vegan".
_FILLER = re.compile(
    r"^(?:well|so|oh|and|but|also|btw|by the way|honestly|actually|anyway|ok|okay|yes|yeah|no|"
    r"hey|hi)[, ]+",
    re.IGNORECASE,
)


def _clean(sentence: str) -> str:
    sentence = sentence.strip().rstrip(",;:")
    sentence = _FILLER.sub("", sentence)
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence[-1:] in ".!" else sentence + "."


def unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    result = []
    for candidate in candidates:
        key = candidate.text.lower()
        if key not in seen:
            seen.add(key)
            result.append(candidate)
    return result


# -- the model's extraction ------------------------------------------------------------------

EXTRACTION_INSTRUCTIONS = (
    "Extract facts the user states about themselves (name, diet, home, work, likes, family, "
    "plans). Write each fact as a short sentence in the first person. If there are none, "
    'answer {"facts": []}. Answer with JSON only.'
)


def extraction_messages(user_text: str) -> list[dict[str, str]]:
    """The chat the model answers with JSON (a worked example first: small models need it)."""
    example = {"facts": [{"text": "I live in Lisbon.", "topic": "home"}]}
    return [
        {"role": "system", "content": EXTRACTION_INSTRUCTIONS},
        {"role": "user", "content": "I moved to Lisbon last year, what's good to eat here?"},
        {"role": "assistant", "content": json.dumps(example)},
        {"role": "user", "content": user_text},
    ]


class SchemaViolation(ValueError):
    """Output that does not match :data:`FACTS_SCHEMA` (a bug: the grammar forbids it)."""


def parse_facts(output: str) -> list[Candidate]:
    """Check *output* against :data:`FACTS_SCHEMA` and turn it into candidates."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError as exc:
        raise SchemaViolation(f"not JSON: {exc}") from exc
    validate_facts(data)
    candidates = []
    for fact in data["facts"]:
        text = " ".join(fact["text"].split())
        if len(text) >= 3:
            negated = bool(_NEGATION.search(text))
            candidates.append(Candidate(_clean(text), fact["topic"], negated, "model"))
    return unique(candidates)


def validate_facts(data: Any) -> None:
    """Raise :class:`SchemaViolation` unless *data* matches :data:`FACTS_SCHEMA` exactly."""
    item_schema = FACTS_SCHEMA["properties"]["facts"]["items"]
    text_schema = item_schema["properties"]["text"]
    if not isinstance(data, dict) or set(data) != {"facts"}:
        raise SchemaViolation(f"expected an object with only 'facts', got {data!r}")
    facts = data["facts"]
    if not isinstance(facts, list) or len(facts) > FACTS_SCHEMA["properties"]["facts"]["maxItems"]:
        raise SchemaViolation(f"'facts' must be a list of at most 3, got {facts!r}")
    for fact in facts:
        if not isinstance(fact, dict) or set(fact) != {"text", "topic"}:
            raise SchemaViolation(f"a fact must have exactly 'text' and 'topic': {fact!r}")
        text = fact["text"]
        if not isinstance(text, str) or not (
            text_schema["minLength"] <= len(text) <= text_schema["maxLength"]
        ):
            raise SchemaViolation(f"a fact's text has the wrong type or length: {text!r}")
        if fact["topic"] not in TOPICS:
            raise SchemaViolation(f"unknown topic {fact['topic']!r}")
