"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as sentence-transformers, faster.

Torch spends most of a short query's time on per-operator overhead: a question embedded in
about 3 ms here took 9-16 ms through sentence-transformers, and documents go through about a
third faster. The ONNX graph is made on this computer, once, from the installed model's own
weights (``torch.onnx.export``; nothing is downloaded), and kept in the model cache keyed by the
weights it came from. Tokenizing uses the model's ``tokenizer.json`` (``tokenizers``), pooling
is the model's mean pooling and the vectors are scaled to unit length, as sentence-transformers
does for this model.

The export needs torch, transformers and onnx; running needs only onnxruntime, tokenizers and
numpy, so a question never waits for torch to import once the graph exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Bump when the exported graph changes (inputs, outputs, opset), so old files are not used.
EXPORT_VERSION = 1
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class ExportError(Exception):
    """The ONNX graph could not be made or loaded (the caller falls back to torch)."""


def cache_key(model_path: Path) -> str:
    """Names the graph made from the weights at *model_path*: their size, time and config."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION} opset{OPSET}".encode())
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        path = model_path / name
        if path.exists():
            digest.update(path.read_bytes())
    for weights in sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("*.bin")):
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def export(model_path: Path, target: Path) -> None:
    """Write the transformer of *model_path* as an ONNX graph to *target* (atomically)."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ExportError(f"cannot export: {exc}") from exc

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        model = LastHiddenState(AutoModel.from_pretrained(str(model_path)))
        model.eval()
        sample = torch.ones(1, 8, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on operators it rewrites
            torch.onnx.export(
                model,
                (sample, sample, torch.zeros_like(sample)),
                tmp,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: axes for name in (*_INPUTS, "last_hidden_state")},
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(tmp, target)
    except Exception as exc:
        raise ExportError(f"cannot export {model_path.name} to ONNX: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OnnxEncoder:
    """Mean-pooled, unit-length sentence vectors from an exported graph."""

    def __init__(self, model_path: Path, graph: Path, *, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ExportError(f"cannot run ONNX: {exc}") from exc
        config_file = model_path / "sentence_bert_config.json"
        config = json.loads(config_file.read_text()) if config_file.exists() else {}
        self.max_tokens = int(config.get("max_seq_length", 256))
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep rather than spin (with threads > 1): on a busy machine spinning
        # threads made embedding slower than one thread; sleeping ones did not.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(
                str(graph), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a damaged or foreign file: onnxruntime's own error types
            raise ExportError(f"cannot load {graph}: {exc}") from exc
        names = {i.name for i in self._session.get_inputs()}
        if names != set(_INPUTS):
            raise ExportError(f"{graph} takes {sorted(names)}, not {list(_INPUTS)}")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One unit-length float32 row per text, in the order given."""
        # Like sentence-transformers: similar lengths together, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows = [
            self._encode_batch([texts[i] for i in order[start : start + batch_size]])
            for start in range(0, len(order), batch_size)
        ]
        out = np.concatenate(rows)
        out[order] = out.copy()
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit


def load(model_path: Path, cache_dir: Path, *, threads: int = 1) -> OnnxEncoder:
    """The encoder for *model_path*, exporting its graph into *cache_dir* first if needed.

    A cached graph that does not load (damaged, truncated) is made again once.
    """
    graph = cache_dir / f"{model_path.name}-{cache_key(model_path)}.onnx"
    if graph.exists():
        try:
            return OnnxEncoder(model_path, graph, threads=threads)
        except ExportError as exc:
            log.warning("Remaking the ONNX graph of the embedding model: %s", exc)
            graph.unlink(missing_ok=True)
    export(model_path, graph)
    return OnnxEncoder(model_path, graph, threads=threads)
