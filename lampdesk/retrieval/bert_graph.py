"""The ONNX graph of a BERT encoder, written straight from its safetensors weights.

No PyTorch: the graph is a handful of standard operators (embeddings by ``Gather``, then per
layer ``MatMul``/``Add`` projections, ``Reshape``/``Transpose`` into heads, a scaled, masked
``Softmax``, GELU in its erf form and post-norm ``LayerNormalization``), wired by hand with the
``onnx`` package and filled with the model's own tensors, read by ``safetensors``. Its inputs and
output are those of Hugging Face's ``BertModel`` (``input_ids``, ``attention_mask``,
``token_type_ids`` -> ``last_hidden_state``), and so are its numbers: the vectors pooled from it
match sentence-transformers' to float rounding (tests/fixtures/minilm_reference.json).

:func:`builder_key` names this code: it changes whenever any function here changes, so a graph
cached by an older builder is never used by a newer one.
"""

from __future__ import annotations

import hashlib
import json
import math
import types
from pathlib import Path
from typing import Any

import numpy as np

#: The ONNX opset the graph is written in (LayerNormalization needs 17).
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"


class GraphError(Exception):
    """The weights or config at hand are not a BERT encoder this module can write."""


def _feed_code(digest: Any, code: types.CodeType) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(digest, const)
        else:
            digest.update(repr(const).encode())


def builder_key() -> str:
    """A digest of this module's code (bytecode, names, constants; not paths or line numbers)."""
    digest = hashlib.sha256(f"opset{OPSET}".encode())
    for name in sorted(globals()):
        value = globals()[name]
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            digest.update(name.encode())
            _feed_code(digest, value.__code__)
    return digest.hexdigest()[:16]


def _weights(model_path: Path) -> dict[str, np.ndarray]:
    files = sorted(model_path.glob("*.safetensors"))
    if not files:
        raise GraphError(f"no .safetensors weights in {model_path}")
    from safetensors.numpy import load_file

    tensors: dict[str, np.ndarray] = {}
    for file in files:
        try:
            tensors.update(load_file(str(file)))
        except Exception as exc:  # safetensors' own error types for a damaged file
            raise GraphError(f"cannot read {file.name}: {exc}") from exc
    # Some checkpoints prefix every name with the model type ("bert.embeddings...").
    return {name.removeprefix("bert."): value for name, value in tensors.items()}


def build(model_path: Path) -> bytes:
    """The serialized ONNX model of the BERT encoder at *model_path*."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    try:
        config = json.loads((model_path / "config.json").read_text())
        hidden = int(config["hidden_size"])
        heads = int(config["num_attention_heads"])
        layers = int(config["num_hidden_layers"])
        eps = float(config.get("layer_norm_eps", 1e-12))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GraphError(f"cannot read the model's config.json: {exc}") from exc
    if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
        raise GraphError("not a BERT encoder with GELU")
    if config.get("position_embedding_type", "absolute") != "absolute" or hidden % heads:
        raise GraphError("unsupported BERT variant")
    head_size = hidden // heads
    weights = _weights(model_path)

    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def weight(name: str, transpose: bool = False) -> str:
        try:
            array = weights[name]
        except KeyError as exc:
            raise GraphError(f"the weights lack {name}") from exc
        return const(name, array.T.astype(np.float32) if transpose else array.astype(np.float32))

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, prefix: str, out: str) -> str:
        product = node("MatMul", [x, weight(f"{prefix}.weight", transpose=True)], f"{out}/matmul")
        return node("Add", [product, weight(f"{prefix}.bias")], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale, bias = weight(f"{prefix}.weight"), weight(f"{prefix}.bias")
        return node("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=eps)

    # Embeddings: words + positions 0..T-1 + token types, normalised.
    length = node("Shape", ["input_ids"], "embeddings/length", start=1, end=2)  # [T]
    table = weight("embeddings.position_embeddings.weight")
    origin = const("embeddings/origin", np.array([0], np.int64))
    where = node("Slice", [table, origin, length, origin], "emb/p")  # rows 0..T-1
    words = node("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "emb/w")
    kinds = node(
        "Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "emb/t"
    )
    summed = node("Add", [node("Add", [words, where], "emb/wp"), kinds], "emb/sum")
    x = layer_norm(summed, "embeddings.LayerNorm", "embeddings/out")

    # The mask as an additive bias on attention scores, shaped [batch, 1, 1, tokens]: 0 where a
    # token is real, the float32 minimum where it is padding (as transformers does).
    mask = node("Cast", ["attention_mask"], "mask/float", to=TensorProto.FLOAT)
    inverted = node("Sub", [const("mask/one", np.array(1.0, np.float32)), mask], "mask/inverted")
    lowest = const("mask/lowest", np.array(np.finfo(np.float32).min, np.float32))
    bias = node("Mul", [inverted, lowest], "mask/bias2d")
    bias = node("Unsqueeze", [bias, const("mask/axes", np.array([1, 2], np.int64))], "mask/bias")

    split = const("heads/shape", np.array([0, 0, heads, head_size], np.int64))
    merge = const("heads/merged", np.array([0, 0, hidden], np.int64))
    scale = const("heads/scale", np.array(1.0 / math.sqrt(head_size), np.float32))
    half = const("gelu/half", np.array(0.5, np.float32))
    one = const("gelu/one", np.array(1.0, np.float32))
    root2 = const("gelu/sqrt2", np.array(math.sqrt(2.0), np.float32))

    for i in range(layers):
        p, n = f"encoder.layer.{i}", f"layer{i}"

        query, key, value = (
            node(
                "Transpose",
                [
                    node(
                        "Reshape",
                        [linear(x, f"{p}.attention.self.{kind}", f"{n}/{kind}"), split],
                        f"{n}/{kind}/heads",
                    )
                ],
                f"{n}/{kind}/t",
                perm=perm,
            )
            # query and value [b, h, t, d]; key [b, h, d, t], ready to multiply
            for kind, perm in (
                ("query", [0, 2, 1, 3]),
                ("key", [0, 2, 3, 1]),
                ("value", [0, 2, 1, 3]),
            )
        )
        scores = node("MatMul", [query, key], f"{n}/scores")
        scores = node("Mul", [scores, scale], f"{n}/scaled")
        scores = node("Add", [scores, bias], f"{n}/masked")
        probs = node("Softmax", [scores], f"{n}/probs", axis=-1)
        context = node("MatMul", [probs, value], f"{n}/context")
        context = node("Transpose", [context], f"{n}/context/t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge], f"{n}/context/merged")
        attended = linear(context, f"{p}.attention.output.dense", f"{n}/attn_out")
        attended = node("Add", [attended, x], f"{n}/attn_res")
        x = layer_norm(attended, f"{p}.attention.output.LayerNorm", f"{n}/attn_norm")

        inner = linear(x, f"{p}.intermediate.dense", f"{n}/inner")
        erf = node("Erf", [node("Div", [inner, root2], f"{n}/gelu/div")], f"{n}/gelu/erf")
        # x * (1 + erf(x / sqrt 2)) * 0.5, in the order onnxruntime fuses into one Gelu.
        gated = node("Mul", [inner, node("Add", [erf, one], f"{n}/gelu/add")], f"{n}/gelu/x")
        inner = node("Mul", [gated, half], f"{n}/gelu")
        out = linear(inner, f"{p}.output.dense", f"{n}/out")
        out = node("Add", [out, x], f"{n}/out_res")
        x = layer_norm(out, f"{p}.output.LayerNorm", f"{n}/out_norm" if i < layers - 1 else OUTPUT)
    if layers == 0:  # pragma: no cover - no such model
        raise GraphError("a BERT with no layers")

    graph_inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in INPUTS
    ]
    graph_output = helper.make_tensor_value_info(
        OUTPUT, TensorProto.FLOAT, ["batch", "tokens", hidden]
    )
    graph = helper.make_graph(nodes, "bert", graph_inputs, [graph_output], initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="lampdesk.retrieval.bert_graph",
    )
    model.ir_version = 8  # readable by every onnxruntime LampDesk accepts
    onnx.checker.check_model(model)
    data: bytes = model.SerializeToString()
    return data
