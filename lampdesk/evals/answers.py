"""``lampdesk eval answers``: does personalisation make the local model's answers better?

LaMP-style A/B on LoCoMo-format files. Each conversation becomes a throwaway profile (its turns
are the profile's items, as in ``eval retrieval``); the same model answers each sampled question
twice through the assistant's own pipeline, once personalised (retrieval, profile, prompt) and once
not. Answers are scored with token F1 against the gold answers (SQuAD normalisation); for the
adversarial category 5 (not answerable from the history) the score is the share declined.
Deterministic: a fixed sample seed and greedy decoding.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import string
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lampdesk.assistant import Assistant
from lampdesk.evals import progress as steps
from lampdesk.inference.engine import Engine, GenerationSettings
from lampdesk.memory.learner import MEMORY_ENABLED
from lampdesk.paths import DataPaths
from lampdesk.profile import NewItem, Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.prompting.templates import Template, named_template
from lampdesk.retrieval import dates
from lampdesk.retrieval.dense import DenseIndex, Embedder
from lampdesk.retrieval.retriever import RetrievalSettings, Retriever
from lampdesk.retrieval.tokens import TokenCounter
from lampdesk.sources.locomo import read_folder
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault

ANSWERED = (1, 2, 3, 4)
ADVERSARIAL = 5
SEED = 7
#: Tokens of retrieved items per personalised prompt.
ANSWER_BUDGET = 256
#: Room for the answer: answers to these questions are a few words.
ANSWER_TOKENS = 32
#: What counts as declining to answer.
_DECLINED = re.compile(
    r"\b(?:not mentioned|no information|not (?:stated|say|said|specified|known|sure)|"
    r"(?:do not|don't|cannot|can't) (?:know|say|tell|find)|unknown|no mention)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QA:
    conversation: str
    question: str
    answer: str
    category: int


@dataclass
class _Conversation:
    name: str
    items: list[NewItem]
    qas: list[QA]


# -- scoring ----------------------------------------------------------------------------------


def normalize(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, as tokens."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = re.sub(r"\b(?:a|an|the|and)\b", " ", text)
    return text.split()


def token_f1(prediction: str, gold: str) -> float:
    pred, truth = normalize(prediction), normalize(gold)
    if not pred or not truth:
        return float(pred == truth)
    common = Counter(pred) & Counter(truth)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def declined(answer: str) -> bool:
    return bool(_DECLINED.search(answer))


def short_answer(text: str) -> str:
    """The answer's first line (the model sometimes goes on with another turn)."""
    return text.strip().split("\n", 1)[0].strip()


# -- data -------------------------------------------------------------------------------------


def load(data_dir: Path) -> list[_Conversation]:
    conversations = []
    for name, items, qa in read_folder(data_dir):
        qas = [
            QA(
                name,
                str(q["question"]),
                str(q.get("answer", q.get("adversarial_answer", ""))),
                int(q.get("category", 0)),
            )
            for q in qa
            if int(q.get("category", 0)) in (*ANSWERED, ADVERSARIAL) and "question" in q
        ]
        conversations.append(_Conversation(name, items, qas))
    return conversations


def sample(conversations: Sequence[_Conversation], n: int, seed: int = SEED) -> list[QA]:
    """*n* answerable questions and a quarter as many adversarial ones, drawn with *seed*."""
    rng = random.Random(seed)
    answerable = [q for c in conversations for q in c.qas if q.category in ANSWERED]
    adversarial = [q for c in conversations for q in c.qas if q.category == ADVERSARIAL]
    picked = rng.sample(answerable, min(n, len(answerable)))
    picked += rng.sample(adversarial, min(max(1, n // 4), len(adversarial)))
    return picked


# -- running ----------------------------------------------------------------------------------


def evaluate(
    data_dir: Path,
    *,
    n: int,
    engine: Engine,
    embedder: Embedder,
    count_tokens: TokenCounter,
    template: Template | None = None,
    mode: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """*mode*: ``None`` for what users get (the assistant routes each question), or
    ``"grounded"`` / ``"free"`` to force one. *progress* hears each answer's row as JSON."""
    conversations = load(data_dir)
    chosen = sample(conversations, n)
    by_conversation = {c.name: c for c in conversations}
    template = template or named_template("concise")
    settings = GenerationSettings(max_tokens=ANSWER_TOKENS, temperature=0.0, repeat_penalty=1.0)
    scores: dict[bool, list[float]] = {True: [], False: []}
    per_category: dict[int, dict[bool, list[float]]] = {}
    declines: list[bool] = []
    details: list[dict[str, Any]] = []
    modes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="lampdesk-eval-") as tmp:
        paths = DataPaths(Path(tmp))
        passphrase = secrets.token_urlsafe(16)
        vault = Vault(paths, prompt=lambda _what, _confirm: passphrase)
        for name in dict.fromkeys(q.conversation for q in chosen):
            conversation = by_conversation[name]
            entry, store = vault.create(f"answers-{name}"[:64], KeyMode.PASSPHRASE)
            assistant: Assistant | None = None
            try:
                profile = Profile(store)
                profile.set_setting(MEMORY_ENABLED, "off")  # questions must not teach it
                profile.add_items(conversation.items)
                days = [i.happened_at for i in conversation.items if i.happened_at]
                today = dates.item_day(max(days), "") if days else None
                retriever = Retriever(
                    profile,
                    DenseIndex(paths.index_dir(entry.id)),
                    embedder,
                    settings=replace(RetrievalSettings(), today=today),
                    count_tokens=count_tokens,
                )
                retriever.sync()
                builder = PromptBuilder(
                    template,
                    count_tokens=engine.count_tokens,
                    max_prompt_tokens=engine.n_ctx - ANSWER_TOKENS,
                )
                assistant = Assistant(
                    profile, retriever, builder, engine, retrieval_budget=ANSWER_BUDGET
                )
                for qa in (q for q in chosen if q.conversation == name):
                    row: dict[str, Any] = {"question": qa.question, "gold": qa.answer,
                                           "category": qa.category}  # fmt: skip
                    for personalize in (True, False):
                        result = assistant.ask(
                            qa.question,
                            personalize=personalize,
                            settings=settings,
                            learn=False,
                            mode=mode,
                        )
                        if personalize:
                            modes[result.mode] += 1
                        answer = short_answer(result.answer)
                        key = "personalized" if personalize else "unpersonalized"
                        row[key] = answer
                        if qa.category == ADVERSARIAL:
                            if personalize:
                                declines.append(declined(answer))
                            continue
                        f1 = token_f1(answer, qa.answer)
                        row[f"f1_{key}"] = round(f1, 3)
                        scores[personalize].append(f1)
                        per_category.setdefault(qa.category, {True: [], False: []})[
                            personalize
                        ].append(f1)
                    details.append(row)
                    steps.note(
                        f"eval answers: {name}, {qa.question[:60]!r}", len(details), len(chosen)
                    )
                    if progress:
                        progress(json.dumps(row, ensure_ascii=False))
            finally:
                if assistant is not None:
                    assistant.close()
                store.close()
    personalized = _mean(scores[True])
    unpersonalized = _mean(scores[False])
    return {
        "questions": len(scores[True]),
        "f1_personalized": round(personalized, 4),
        "f1_unpersonalized": round(unpersonalized, 4),
        "ratio": round(personalized / unpersonalized, 2) if unpersonalized else None,
        "declined_adversarial": round(_mean([float(d) for d in declines]), 4),
        "adversarial_questions": len(declines),
        "per_category": {
            str(c): {
                "questions": len(v[True]),
                "f1_personalized": round(_mean(v[True]), 4),
                "f1_unpersonalized": round(_mean(v[False]), 4),
            }
            for c, v in sorted(per_category.items())
        },
        "mode": mode or "default",
        #: How the assistant answered the personalised questions (the default mode routes).
        "answered_as": dict(sorted(modes.items())),
        "model": engine.model_name,
        "seed": SEED,
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def print_report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    print(
        f"{result['questions']} questions, model {result['model']}, mode {result['mode']} "
        f"(answered as {result['answered_as']}): token F1 personalised "
        f"{result['f1_personalized']:.3f}, unpersonalised {result['f1_unpersonalized']:.3f} "
        f"(ratio {result['ratio']}); adversarial declined "
        f"{result['declined_adversarial']:.2f} of {result['adversarial_questions']}",
        file=out,
    )
    for category, row in result["per_category"].items():
        print(
            f"  category {category}: {row['questions']:3d} questions, F1 "
            f"{row['f1_personalized']:.3f} vs {row['f1_unpersonalized']:.3f}",
            file=out,
        )
