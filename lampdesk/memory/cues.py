"""Linguistic cues that tell a statement about the user from everything else a user types.

A fact about the user is a first-person declarative ("I have asthma", "my sister lives in
Cork", "we relocated to Denver", "I no longer eat meat") or a standing instruction about how to
answer ("keep your replies brief, please": a preference of the user's). What is not one, even
when it mentions the user's family, food or city: requests and imperatives ("write a birthday
message for my sister"), questions, hypotheticals ("if I were...", "imagine..."), role play
("pretend you are..."), reported or quoted speech ("my friend said..."), fiction about the user
("a story where I live on Mars"), one-off remarks about the conversation ("make it shorter",
"I see", "I meant the other one") and small talk ("thanks", "good morning").

:func:`cues` names which of these a sentence shows; the rules use them to turn a sentence down
at once or to pass it on, and the statement classifier takes them as features beside the
sentence's embedding.
"""

from __future__ import annotations

import re

#: Words before the sentence proper ("ok so", "by the way", "please").
_OPENERS = re.compile(
    r"^(?:(?:well|so|oh|and|but|also|btw|by the way|honestly|actually|anyway|ok|okay|yes|yeah|"
    r"hey|hi|hello|hmm|um|right|now|quick question|fyi|alright|just so you know|"
    r"for the record|for your information|as you know|(?:remember|note|keep in mind|"
    r"you should know|bear in mind|don't forget)(?: that)?)[,!.:]?\s+)+",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|how's|why|where|where's|when|who|who's|whom|whose|which|"
    r"is|are|am|was|were|do|does|did|can|could|would|will|shall|should|may|might|must|"
    r"have you|has|any (?:idea|tips|thoughts|suggestions|recommendations)|thoughts on|"
    r"isn't|aren't|wouldn't|shouldn't)\b",
    re.IGNORECASE,
)
#: Verbs that open a request when they start the sentence (the imperative mood).
_IMPERATIVE_VERBS = (
    "write|draft|compose|create|make|plan|suggest|give|find|list|recommend|prepare|put|"
    "come up|explain|summarise|summarize|translate|tell|remind|set|convert|show|help|book|"
    "check|describe|define|compare|quiz|send|rewrite|fix|outline|brainstorm|look up|ask|"
    "order|keep going|continue|go on|try|add|use|say|repeat|remove|turn|stop|cancel|"
    "proofread|correct|calculate|generate|search|draw|sing|name|pick|choose|recap|read|"
    "play|act|pretend|imagine|suppose|assume|consider|picture|let's|lets|let me|be|"
    "answer|reply|respond|talk|speak|skip|do|don't|never|always|give me|teach|walk me|"
    "organise|organize|schedule|estimate|review|edit|shorten|expand|simplify|format|"
    "paraphrase|rephrase|polish|sum up|save|delete|open|call|email|text|message"
)
_IMPERATIVE = re.compile(rf"^(?:please\s+|kindly\s+)?(?:{_IMPERATIVE_VERBS})\b", re.IGNORECASE)
#: First person asking for something rather than saying something about themselves.
_FIRST_PERSON_REQUEST = re.compile(
    r"^(?:i|we)(?:\s+|(?='))(?:need|'d like|would like|'d love|would love|want|wanna|"
    r"'m looking for|am looking for|was wondering|wonder|'m wondering|am wondering|"
    r"'m curious|am curious|"
    r"'m not sure|am not sure|don't know|do not know|have (?:a|another|one more|no) "
    r"(?:question|idea|clue)|'d appreciate|would appreciate|'m trying to (?:decide|figure|"
    r"find|choose|work out|understand)|can't decide|hope you)\b",
    re.IGNORECASE,
)
#: "I want a list", "I need help": a request; but "I want to run a marathon" is a goal.
_WANT_TO_KNOW = re.compile(
    r"^i(?:\s+|(?='))(?:want|need|'d like|would like)\s+(?:you|a|an|some|help|ideas|tips|advice|"
    r"to (?:know|see|ask|find out|understand|learn about|hear|get|write|make|send|check|"
    r"read|try|have (?:a|an|some)|cook|buy|order))\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if (?:i|my|we|you)\b|imagine|imagining|suppose|supposing|let's say|lets say|"
    r"say i'm|say i am|assume|assuming|hypothetically|what if|in a world|picture me|"
    r"let's pretend|lets pretend|pretend (?:i|that|my|we)|were i|had i|as if i|"
    r"consider a person|for the sake of argument)\b",
    re.IGNORECASE,
)
_ROLE_PLAY = re.compile(
    r"\b(?:pretend (?:you|to be)|act as|act like|role-?play|you are (?:a|an|my|now|the)|"
    r"you're (?:a|an|my|now|the)|play the (?:role|part)|be my|take on the (?:persona|role)|"
    r"answer as if|speak as if|talk like|from now on you|you will be|let's play)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(?:(?:my|his|her|their|our|a|the|your)\s+(?:\w+\s+){0,2}"
    r"(?:said|says|say|told|tells|thinks|think|wants|asked|asks|keeps saying|wrote|writes|"
    r"mentioned|claims|reckons|is asking|was asking|would say)|"
    r"(?:he|she|they|someone|somebody|people|everyone|it)\s+(?:\w+\s+)?(?:said|says|told|"
    r"wrote|writes|claims|asked))\b|"
    r"\bquote:|[\"\u201c\u201d]|\b(?:said|says|wrote)\s*:",
    re.IGNORECASE,
)
#: A friend of mine / someone I know: about another person, not the user.
_ABOUT_OTHERS = re.compile(
    r"^(?:a friend of mine|someone i know|a colleague of mine|one of my friends|my friend's|"
    r"a (?:friend|colleague|neighbour|neighbor))\b",
    re.IGNORECASE,
)
_FICTION = re.compile(
    r"\b(?:story|poem|song|tale|dialogue|fairy tale|scene|script|joke|limerick|haiku|novel)\b"
    r".*\b(?:where|in which|about|whose)\b",
    re.IGNORECASE,
)
#: Text handed over to work on: "translate: ...", "summarise this: ...".
_TASK = re.compile(
    r"^(?:\w+\s+){0,2}(?:this|that|it|these|the following)\s*:|"
    r"^(?:translate|summarise|summarize|proofread|correct|rewrite|paraphrase|fix)\b",
    re.IGNORECASE,
)
_SMALL_TALK = re.compile(
    r"^(?:thanks?(?: you)?|thank you(?: so much| very much)?|cheers|ta|thx|ty|good (?:morning|"
    r"night|evening|afternoon|job)|hello|hi|hey|hiya|howdy|bye|goodbye|see you|later|lol|haha+|"
    r"wow|cool|nice|great|awesome|perfect|ok|okay|sure|yes|yeah|yep|no|nope|fine|"
    r"well done|not bad|my bad|my pleasure|never ?mind|sorry|oops|hmm+|interesting|"
    r"you're (?:the best|welcome|funny|great)|have a (?:nice|good|great) (?:day|one|evening))"
    r"\b[^.!?]{0,40}[.!?]*$",
    re.IGNORECASE,
)
#: First person, but about the conversation, not about the user's life.
_CONVERSATION = re.compile(
    r"^(?:i|we)(?:\s+|(?='))(?:see|agree|disagree|think so|guess|mean|meant|"
    r"think (?:the|that|this|it|you|so|we|maybe|both|either)|was (?:just )?(?:joking|kidding)|"
    r"'m feeling|am feeling|feel (?:\w+ )?(?:today|now|right now|tonight|this morning)|"
    r"was (?:just )?testing|'m joking|"
    r"'m kidding|am kidding|'m back|'m just testing|changed my mind|'ll think|'ll try|"
    r"will try|get it|got it|understand|don't understand|'m confused|am confused|"
    r"like (?:that|this|your|it)|love (?:that|this|your|it)|hate to|hope|'m (?:so |very )?"
    r"(?:tired|bored|hungry|sleepy|in a hurry|busy|excited|happy|sad|confused|lost|"
    r"stuck|done|ready|here|sorry) ?(?:today|now|right now|at the moment|tonight|again|"
    r"about (?:that|this))?\s*[.!]*$|have no idea|'m (?:asking|wondering)|am asking)\b",
    re.IGNORECASE,
)
#: "My question is...", "my point was...": first person about the chat itself.
_MY_CHAT = re.compile(
    r"^my\s+(?:question|point|answer|message|request|last|previous|idea|mistake|bad|"
    r"pleasure|god|goodness)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(
    r"^(?:i|i'm|i've|i'd|i'll|im|ive|we|we're|we've|our|my|me|myself)\b|"
    r"\b(?:i|i'm|i've|we|we're|we've|my|our)\b|^call me\b",
    re.IGNORECASE,
)
_FIRST_PERSON_START = re.compile(
    r"^(?:i|i'm|i've|i'd|im|ive|we|we're|we've|we'd|our|my|call me|people call me|"
    r"everyone calls me|you can call me|please call me|(?:\w+\s+){0,3}(?:is|are) my)\b",
    re.IGNORECASE,
)
#: A standing instruction about how to answer: a preference of the user's, not a request.
#: It speaks of answers in general ("your answers", "replies", "with me") and of the time
#: ahead ("always", "from now on", "never"), not of the answer just given ("make it shorter").
_STYLE_OBJECT = re.compile(
    r"\b(?:your|the)?\s*(?:answers|replies|responses|reply|answer|explanations|messages|"
    r"tone|units|spelling|emojis?|bullet points|jargon|small talk|exclamation marks|"
    r"version|paragraph|sentences|language|examples|instructions|formal|casual)\b|"
    r"\b(?:with|to|for) me\b|\bme in\b",
    re.IGNORECASE,
)
_STYLE_TIME = re.compile(
    r"\b(?:always|from now on|never|in (?:the )?future|every time|in general|by default|"
    r"going forward|with me|for me|from here on|each time|anymore|at most|under \w+ "
    r"(?:words|sentences))\b|\b(?:answers|replies|responses|explanations)\b",
    re.IGNORECASE,
)
_STYLE_VERB = re.compile(
    r"^(?:please\s+)?(?:keep|always|never|don't|do not|no|use|write|answer|reply|respond|"
    r"talk|speak|skip|stop|avoid|be|give|make|show|address)\b|"
    r"^i\s+(?:prefer|like|want|'d rather|would rather|don't like|do not like|hate|love|"
    r"need)\b",
    re.IGNORECASE,
)

_CALL_ME = re.compile(r"^(?:please\s+)?call me\b")

CUE_NAMES = (
    "question",
    "imperative",
    "request",
    "hypothetical",
    "role_play",
    "reported",
    "fiction",
    "task",
    "small_talk",
    "conversation",
    "first_person",
    "first_person_start",
    "style",
)
#: Cues that by themselves say "not a fact about the user".
REFUSING = frozenset(CUE_NAMES[:10])


def core(sentence: str) -> str:
    """*sentence* without its openers ("ok so, ..."), trimmed."""
    return _OPENERS.sub("", " ".join(sentence.split())).strip()


def cues(sentence: str) -> dict[str, bool]:
    """Which cues *sentence* (one sentence or clause) shows."""
    text = core(sentence).replace("\u2019", "'")
    lowered = text.lower()
    style = bool(
        _STYLE_VERB.search(text)
        and _STYLE_OBJECT.search(text)
        and _STYLE_TIME.search(text)
        and not _HYPOTHETICAL.search(text)
        and not _ROLE_PLAY.search(text)
        and not text.endswith("?")
    )
    first_person_start = bool(_FIRST_PERSON_START.search(text))
    found = {
        "question": text.endswith("?") or bool(_QUESTION_START.search(text)),
        "imperative": bool(_IMPERATIVE.search(text)) and not _CALL_ME.search(lowered),
        "request": bool(_FIRST_PERSON_REQUEST.search(text) or _WANT_TO_KNOW.search(text)),
        "hypothetical": bool(_HYPOTHETICAL.search(text)),
        "role_play": bool(_ROLE_PLAY.search(text)),
        "reported": bool(_REPORTED.search(text) or _ABOUT_OTHERS.search(text)),
        "fiction": bool(_FICTION.search(text)) and not first_person_start,
        "task": bool(_TASK.search(text)),
        "small_talk": bool(_SMALL_TALK.search(text)) or len(text) < 4,
        "conversation": bool(_CONVERSATION.search(text) or _MY_CHAT.search(text)),
        "first_person": bool(_FIRST_PERSON.search(text)),
        "first_person_start": first_person_start,
        "style": style,
    }
    if style:
        # A standing instruction is worded as a request; it is the one kind kept.
        found["imperative"] = found["request"] = found["conversation"] = False
    return found


def refused(found: dict[str, bool]) -> bool:
    """Whether the cues alone turn the sentence down (no classifier needed)."""
    if found["style"]:
        return False
    if any(found[name] for name in REFUSING):
        return True
    return not found["first_person"]
