"""Train the statement classifier (see :mod:`lampdesk.memory.statements`).

    python -m lampdesk.memory.train_statements [--check]

Reads ``resources/memory/statement_examples.json`` (sentences written for it; never an
evaluation set), embeds them with the installed MiniLM, fits a logistic regression over
``[embedding, cues]`` (L2-regularised, the classes weighted to count alike) and one centroid
per topic, and writes ``resources/memory/statement_model.json``. ``--check`` reports a
five-fold cross-validation on the examples instead of writing.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lampdesk.memory import cues
from lampdesk.memory.extract import TOPICS
from lampdesk.memory.statements import EXAMPLES_FILE, MODEL_FILE, StatementModel, cue_vector

#: L2 strength, learning rate and steps of the gradient descent.
L2 = 1e-3
RATE = 0.5
STEPS = 3000
THRESHOLD = 0.5


def load_examples() -> list[dict[str, Any]]:
    text = resources.files("lampdesk.resources").joinpath(EXAMPLES_FILE).read_text("utf-8")
    return list(json.loads(text)["examples"])


def features(texts: list[str], embed: Any) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.asarray(embed([cues.core(t) for t in texts]), dtype=np.float32)
    rows = np.vstack([cue_vector(cues.cues(t)) for t in texts])
    return vectors, rows


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent, each class weighted to half the loss."""
    weights = np.zeros(x.shape[1], dtype=np.float64)
    bias = 0.0
    positive = y.mean()
    sample = np.where(y == 1, 0.5 / positive, 0.5 / (1 - positive)) / len(y)
    for _ in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
        error = (p - y) * sample
        weights -= RATE * (x.T @ error + L2 * weights)
        bias -= RATE * float(error.sum())
    return weights.astype(np.float32), bias


def centroids(vectors: np.ndarray, topics: list[str | None]) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(t for t in TOPICS if t in topics)
    rows = []
    for name in names:
        mean = vectors[[i for i, t in enumerate(topics) if t == name]].mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return names, np.vstack(rows).astype(np.float32)


def train(examples: list[dict[str, Any]], embed: Any, embedder_name: str) -> StatementModel:
    vectors, rows = features([e["text"] for e in examples], embed)
    return _train(examples, vectors, rows, embedder_name)


def _train(
    examples: list[dict[str, Any]], vectors: np.ndarray, rows: np.ndarray, name: str
) -> StatementModel:
    y = np.array([1.0 if e["is_fact"] else 0.0 for e in examples])
    weights, bias = fit(np.hstack([vectors, rows]), y)
    facts = [i for i, e in enumerate(examples) if e["is_fact"]]
    names, middle = centroids(vectors[facts], [examples[i]["topic"] for i in facts])
    return StatementModel(name, weights, bias, THRESHOLD, names, middle)


def cross_validate(examples: list[dict[str, Any]], embed: Any, name: str) -> dict[str, float]:
    """Five folds: precision and recall of "learned" on the examples held out of each."""
    vectors, rows = features([e["text"] for e in examples], embed)
    order = np.random.default_rng(0).permutation(len(examples))
    tp = fp = fn = 0
    for fold in range(5):
        held = set(order[fold::5].tolist())
        kept = [i for i in range(len(examples)) if i not in held]
        model = _train([examples[i] for i in kept], vectors[kept], rows[kept], name)
        for i in sorted(held):
            example = examples[i]
            learned = not cues.refused(cues.cues(example["text"])) and bool(
                model.probabilities(vectors[i : i + 1], rows[i : i + 1])[0] >= model.threshold
            )
            tp += learned and example["is_fact"]
            fp += learned and not example["is_fact"]
            fn += (not learned) and example["is_fact"]
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn)}


def main(argv: list[str] | None = None) -> int:
    from lampdesk.retrieval.dense import Embedder

    parser = argparse.ArgumentParser(prog="python -m lampdesk.memory.train_statements")
    parser.add_argument("--check", action="store_true", help="cross-validate, write nothing")
    args = parser.parse_args(argv)
    embedder = Embedder()
    examples = load_examples()
    if args.check:
        print(json.dumps(cross_validate(examples, embedder.embed, embedder.name)))
        return 0
    model = train(examples, embedder.embed, embedder.name)
    target = Path(str(resources.files("lampdesk.resources").joinpath(MODEL_FILE)))
    target.write_text(json.dumps(model.as_json(), separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(examples)} examples -> {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
