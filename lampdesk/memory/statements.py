"""The learning step's judge: which sentences of what the user wrote are statements about the
user, and on which topic.

Rules propose and a small classifier confirms. The cues of :mod:`lampdesk.memory.cues` turn
down at once what cannot be a statement about the user (requests, questions, hypotheticals,
role play, reported speech, small talk...); every other sentence is scored by a logistic
regression over its MiniLM embedding (the retriever's embedder, through ONNX Runtime) and its
cues, and learned when the score reaches the model's threshold. Its topic is the one the topic
rules give it, else the nearest topic centroid of the same embeddings.

The weights (``resources/memory/statement_model.json``) are trained by
``python -m lampdesk.memory.train_statements`` on sentences written for it
(``resources/memory/statement_examples.json``), never on evaluation data. Without an embedder
(or its weights) the judge falls back to the rules alone.

It runs in the memory learner's thread, after the answer: one embedding per candidate sentence
(a few milliseconds), never on the path to the first token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

import numpy as np

from lampdesk.errors import ModelError
from lampdesk.memory import cues
from lampdesk.memory.extract import (
    TOPICS,
    Candidate,
    candidate,
    rule_topic,
    statement_clauses,
    unique,
)

log = logging.getLogger(__name__)

MODEL_FILE = "memory/statement_model.json"
EXAMPLES_FILE = "memory/statement_examples.json"
#: Shorter than this, a sentence says nothing lasting ("Hi.").
MIN_CHARS = 6
#: The score from which a sentence a topic rule matched is learned (the model's own threshold
#: applies to the others).
RULE_BACKED_THRESHOLD = 0.3


class TextEmbedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def cue_vector(found: dict[str, bool]) -> np.ndarray:
    return np.array([1.0 if found[name] else 0.0 for name in cues.CUE_NAMES], dtype=np.float32)


@dataclass(frozen=True)
class StatementModel:
    """Logistic regression over ``[embedding, cues]`` and one centroid per topic."""

    embedding_model: str
    weights: np.ndarray
    bias: float
    threshold: float
    topics: tuple[str, ...]
    centroids: np.ndarray

    def probabilities(self, vectors: np.ndarray, cue_rows: np.ndarray) -> np.ndarray:
        features = np.hstack([vectors, cue_rows])
        scores: np.ndarray = 1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias)))
        return scores

    def nearest_topic(self, vector: np.ndarray) -> str:
        return self.topics[int(np.argmax(self.centroids @ vector))]

    def as_json(self) -> dict[str, Any]:
        return {
            "embedding_model": self.embedding_model,
            "cues": list(cues.CUE_NAMES),
            "weights": [round(float(w), 5) for w in self.weights],
            "bias": round(self.bias, 5),
            "threshold": self.threshold,
            "topics": list(self.topics),
            "centroids": [[round(float(x), 4) for x in row] for row in self.centroids],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatementModel:
        if list(data["cues"]) != list(cues.CUE_NAMES):
            raise ValueError("the statement model was trained on other cues: train it again")
        topics = tuple(str(t) for t in data["topics"])
        if not set(topics) <= set(TOPICS):
            raise ValueError(f"unknown topics in the statement model: {set(topics) - set(TOPICS)}")
        return cls(
            embedding_model=str(data["embedding_model"]),
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            topics=topics,
            centroids=np.asarray(data["centroids"], dtype=np.float32),
        )


@lru_cache(maxsize=1)
def shipped_model() -> StatementModel | None:
    """The trained weights shipped with LampDesk (``None`` if missing or unreadable)."""
    try:
        text = resources.files("lampdesk.resources").joinpath(MODEL_FILE).read_text("utf-8")
        return StatementModel.from_json(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("statement classifier unavailable, learning by rules alone: %s", exc)
        return None


@dataclass(frozen=True)
class Judgement:
    """What the judge made of one sentence (``score`` is ``None`` when the cues decided)."""

    sentence: str
    learned: bool
    topic: str | None
    score: float | None
    refused_by: tuple[str, ...] = ()


class StatementJudge:
    """Finds the statements about the user in a message (see the module's text)."""

    def __init__(self, embedder: TextEmbedder | None, model: StatementModel | None = None) -> None:
        self.embedder = embedder
        self._model = model
        self._loaded = model is not None or embedder is None

    @property
    def model(self) -> StatementModel | None:
        """The classifier, read on first use (not when a profile opens)."""
        if not self._loaded:
            self._loaded = True
            model = shipped_model()
            if model is not None and self.embedder is not None:
                if self.embedder.name == model.embedding_model:
                    self._model = model
                else:
                    log.warning("statement classifier trained on another embedder; rules alone")
        return self._model

    @property
    def uses_classifier(self) -> bool:
        return self.embedder is not None and self.model is not None

    def judge(self, text: str) -> list[Judgement]:
        """A judgement for each sentence or clause of *text* (by the rules alone when the
        embedder cannot be used)."""
        if self.uses_classifier:
            try:
                return self._judge(text)
            except (ModelError, OSError) as exc:
                log.warning("the embedder failed, learning by rules alone: %s", exc)
                self.embedder = None
        return self._judge_by_rules(text)

    def _judge(self, text: str) -> list[Judgement]:
        assert self.embedder is not None and self.model is not None
        judgements: list[Judgement | None] = []
        pending: list[tuple[int, str, dict[str, bool]]] = []
        for sentence in statement_clauses(text):
            found = cues.cues(sentence)
            if len(sentence) < MIN_CHARS or cues.refused(found):
                reasons = tuple(n for n in cues.REFUSING if found[n]) or ("not first person",)
                judgements.append(Judgement(sentence, False, None, None, reasons))
                continue
            pending.append((len(judgements), sentence, found))
            judgements.append(None)
        if pending:
            vectors = np.asarray(
                self.embedder.embed([cues.core(s) for _, s, _ in pending]), dtype=np.float32
            )
            rows = np.vstack([cue_vector(f) for _, _, f in pending])
            scores = self.model.probabilities(vectors, rows)
            for (index, sentence, _), vector, score in zip(pending, vectors, scores, strict=True):
                by_rule = rule_topic(cues.core(sentence))
                topic = by_rule or self.model.nearest_topic(vector)
                # Rules that found a topic have proposed it: the classifier need only not
                # object; without them, it must be confident.
                threshold = RULE_BACKED_THRESHOLD if by_rule else self.model.threshold
                learned = bool(score >= threshold)
                judgements[index] = Judgement(sentence, learned, topic, float(score))
        return [j for j in judgements if j is not None]

    def _judge_by_rules(self, text: str) -> list[Judgement]:
        result = []
        for sentence in statement_clauses(text):
            found = cues.cues(sentence)
            if len(sentence) < MIN_CHARS or cues.refused(found):
                reasons = tuple(n for n in cues.REFUSING if found[n]) or ("not first person",)
                result.append(Judgement(sentence, False, None, None, reasons))
                continue
            topic = rule_topic(cues.core(sentence))
            result.append(Judgement(sentence, topic is not None, topic, None))
        return result

    def extract(self, text: str) -> list[Candidate]:
        """The statements about the user in *text*, as candidate memories."""
        return unique(
            candidate(j.sentence, j.topic) for j in self.judge(text) if j.learned and j.topic
        )
