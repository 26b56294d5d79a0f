"""The hand-written BERT graph against BERT written out in numpy, on a tiny random model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lampdesk.retrieval import bert_graph

HIDDEN, HEADS, LAYERS, INNER, VOCAB, POSITIONS = 16, 4, 2, 24, 50, 12
EPS = 1e-12


def _tiny_bert(folder: Path, prefix: str = "") -> dict[str, np.ndarray]:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(3)

    def rand(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.5, shape).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": rand(VOCAB, HIDDEN),
        "embeddings.position_embeddings.weight": rand(POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": rand(2, HIDDEN),
        "embeddings.LayerNorm.weight": 1 + rand(HIDDEN),
        "embeddings.LayerNorm.bias": rand(HIDDEN),
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        for kind in ("query", "key", "value"):
            w[f"{p}.attention.self.{kind}.weight"] = rand(HIDDEN, HIDDEN)
            w[f"{p}.attention.self.{kind}.bias"] = rand(HIDDEN)
        w[f"{p}.attention.output.dense.weight"] = rand(HIDDEN, HIDDEN)
        w[f"{p}.attention.output.dense.bias"] = rand(HIDDEN)
        w[f"{p}.attention.output.LayerNorm.weight"] = 1 + rand(HIDDEN)
        w[f"{p}.attention.output.LayerNorm.bias"] = rand(HIDDEN)
        w[f"{p}.intermediate.dense.weight"] = rand(INNER, HIDDEN)
        w[f"{p}.intermediate.dense.bias"] = rand(INNER)
        w[f"{p}.output.dense.weight"] = rand(HIDDEN, INNER)
        w[f"{p}.output.dense.bias"] = rand(HIDDEN)
        w[f"{p}.output.LayerNorm.weight"] = 1 + rand(HIDDEN)
        w[f"{p}.output.LayerNorm.bias"] = rand(HIDDEN)
    save_file({prefix + k: v for k, v in w.items()}, str(folder / "model.safetensors"))
    config = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_size": HIDDEN,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "intermediate_size": INNER,
        "layer_norm_eps": EPS,
    }
    (folder / "config.json").write_text(json.dumps(config))
    return w


def _numpy_bert(
    w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray, types: np.ndarray
) -> np.ndarray:
    def norm(x: np.ndarray, p: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        out: np.ndarray = (x - mean) / np.sqrt(var + EPS) * w[f"{p}.weight"] + w[f"{p}.bias"]
        return out

    def dense(x: np.ndarray, p: str) -> np.ndarray:
        out: np.ndarray = x @ w[f"{p}.weight"].T + w[f"{p}.bias"]
        return out

    batch, tokens = ids.shape
    size = HIDDEN // HEADS
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:tokens]
        + w["embeddings.token_type_embeddings.weight"][types]
    )
    x = norm(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min
    erf = np.vectorize(math.erf)
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"

        def heads(kind: str, x: np.ndarray = x, p: str = p) -> np.ndarray:
            projected = dense(x, f"{p}.attention.self.{kind}")
            return projected.reshape(batch, tokens, HEADS, size).transpose(0, 2, 1, 3)

        scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ heads("value")).transpose(0, 2, 1, 3).reshape(batch, tokens, HIDDEN)
        x = norm(
            dense(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm"
        )
        inner = dense(x, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1 + erf(inner / math.sqrt(2)))
        x = norm(dense(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


@pytest.mark.parametrize("prefix", ["", "bert."])
def test_graph_computes_bert(tmp_path: Path, prefix: str) -> None:
    import onnxruntime as ort

    weights = _tiny_bert(tmp_path, prefix)
    session = ort.InferenceSession(bert_graph.build(tmp_path), providers=["CPUExecutionProvider"])
    ids = np.array([[1, 7, 9, 3, 2, 0, 0], [1, 4, 4, 8, 11, 6, 2]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    types = np.array([[0, 0, 0, 1, 1, 0, 0], [0] * 7], dtype=np.int64)
    (got,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    expected = _numpy_bert(weights, ids, mask.astype(np.float32), types)
    assert got.shape == (2, 7, HIDDEN)
    assert np.abs(got - expected).max() < 1e-4
    # Padding changes nothing for the real tokens.
    (alone,) = session.run(
        None,
        {"input_ids": ids[:1, :5], "attention_mask": mask[:1, :5], "token_type_ids": types[:1, :5]},
    )
    assert np.abs(alone[0] - got[0, :5]).max() < 1e-5


def test_missing_weights_are_a_graph_error(tmp_path: Path) -> None:
    _tiny_bert(tmp_path)
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(tmp_path / "model.safetensors"))
    del tensors["encoder.layer.1.output.dense.bias"]
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(bert_graph.GraphError, match=r"encoder\.layer\.1\.output\.dense\.bias"):
        bert_graph.build(tmp_path)


def test_no_weights_is_a_graph_error(tmp_path: Path) -> None:
    _tiny_bert(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(bert_graph.GraphError, match="cannot read"):
        bert_graph.build(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(bert_graph.GraphError, match=r"no \.safetensors"):
        bert_graph.build(tmp_path)
