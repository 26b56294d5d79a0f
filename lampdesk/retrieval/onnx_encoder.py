"""all-MiniLM-L6-v2 through ONNX Runtime: sentence-transformers' vectors, without PyTorch.

The ONNX graph is written on this computer, once, from the installed model's own safetensors
weights (:mod:`lampdesk.retrieval.bert_graph`; nothing is downloaded and no PyTorch is needed),
and kept in the model cache under a name keyed by the weights it came from and by the code that
wrote it. Tokenizing uses the model's ``tokenizer.json`` (``tokenizers``, truncated at the
model's 256 tokens), pooling is the model's mean pooling and the vectors are scaled to unit
length, as sentence-transformers does for this model: the vectors match the ones it gave
(cosine >= 0.9999, checked against tests/fixtures/minilm_reference.json), so indexes built
before keep working.

Writing the graph needs ``onnx`` and ``safetensors``; running it needs only onnxruntime,
tokenizers and numpy. Where the cache cannot be written (a read-only or full disk) the graph is
built in memory for this run instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lampdesk.retrieval import bert_graph

log = logging.getLogger(__name__)

#: Bump when the way a cached graph is run changes (its inputs, outputs).
EXPORT_VERSION = 2
_INPUTS = bert_graph.INPUTS


class ExportError(Exception):
    """The ONNX graph could not be made or loaded."""


def cache_key(model_path: Path) -> str:
    """Names the graph made from the weights at *model_path* by this version of the builder."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION} {bert_graph.builder_key()}".encode())
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        path = model_path / name
        if path.exists():
            digest.update(path.read_bytes())
    for weights in sorted(model_path.glob("*.safetensors")):
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def build(model_path: Path) -> bytes:
    """The graph of *model_path*'s transformer, serialized."""
    try:
        return bert_graph.build(model_path)
    except (bert_graph.GraphError, ImportError, OSError) as exc:
        raise ExportError(f"cannot write the ONNX graph of {model_path.name}: {exc}") from exc


def export(model_path: Path, target: Path, data: bytes | None = None) -> bytes:
    """Write the graph of *model_path* (or *data*, already built) to *target*, atomically.

    Returns the graph. Graphs of the same model made by other builders or from other weights
    are removed.
    """
    if data is None:
        data = build(model_path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for stale in target.parent.glob(f"{model_path.name}-*.onnx"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return data


class OnnxEncoder:
    """Mean-pooled, unit-length sentence vectors from an exported graph."""

    def __init__(self, model_path: Path, graph: Path | bytes, *, threads: int = 1) -> None:
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
        where = "built in memory" if isinstance(graph, bytes) else f"at {graph}"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep rather than spin (with threads > 1): on a busy machine spinning
        # threads made embedding slower than one thread; sleeping ones did not.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(
                graph if isinstance(graph, bytes) else str(graph),
                options,
                providers=["CPUExecutionProvider"],
            )
        except Exception as exc:  # a damaged or foreign file: onnxruntime's own error types
            raise ExportError(f"cannot load the ONNX graph {where}: {exc}") from exc
        names = {i.name for i in self._session.get_inputs()}
        if names != set(_INPUTS):
            raise ExportError(f"the graph {where} takes {sorted(names)}, not {list(_INPUTS)}")

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
    """The encoder for *model_path*, writing its graph into *cache_dir* first if needed.

    A cached graph that does not load (damaged, truncated) is made again once; where the cache
    cannot be written, the graph is used from memory.
    """
    graph = cache_dir / f"{model_path.name}-{cache_key(model_path)}.onnx"
    if graph.exists():
        try:
            return OnnxEncoder(model_path, graph, threads=threads)
        except ExportError as exc:
            log.warning("Remaking the ONNX graph of the embedding model: %s", exc)
            graph.unlink(missing_ok=True)
    data = build(model_path)
    try:
        export(model_path, graph, data)
    except OSError as exc:
        log.warning("Cannot cache the embedding model's graph (%s); using it from memory", exc)
        return OnnxEncoder(model_path, data, threads=threads)
    return OnnxEncoder(model_path, graph, threads=threads)
