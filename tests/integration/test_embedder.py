"""The embedder's ONNX path against sentence-transformers, with the real all-MiniLM-L6-v2."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lampdesk.retrieval.dense import Embedder

pytestmark = pytest.mark.embedder

TEXTS = [
    "When did Caroline go to the LGBTQ support group?",
    "Caroline: I went to the support group yesterday and it was so powerful.",
    "Melanie: 🎨 painted a sunrise — naïve style, über bright; 東京 next year!",
    "",
    " ".join(["garden plan for the week"] * 120),  # over the model's 256 tokens: truncated
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return np.array(Embedder(backend="torch").embed(TEXTS))


def test_onnx_vectors_match_sentence_transformers(
    tmp_path: Path, torch_vectors: np.ndarray
) -> None:
    cache = tmp_path / "cache"
    embedder = Embedder(cache_dir=cache)  # an empty cache: the graph is exported here
    vectors = np.array(embedder.embed(TEXTS))
    assert embedder.backend == "onnx"
    assert [p.suffix for p in cache.iterdir()] == [".onnx"]
    assert vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.abs(vectors - torch_vectors).max() < 1e-4
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # One text alone gets the vector it gets in a batch (padding does not leak in).
    (alone,) = embedder.embed([TEXTS[1]])
    assert np.abs(np.array(alone) - vectors[1]).max() < 1e-5


def test_a_damaged_graph_is_made_again(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    cache = tmp_path / "cache"
    Embedder(cache_dir=cache).load()
    (graph,) = cache.iterdir()
    graph.write_bytes(graph.read_bytes()[:4096])
    embedder = Embedder(cache_dir=cache)
    vectors = np.array(embedder.embed(TEXTS))
    assert embedder.backend == "onnx"
    assert graph.stat().st_size > 4096
    assert np.abs(vectors - torch_vectors).max() < 1e-4


def test_falls_back_to_sentence_transformers_where_no_graph_can_be_made(
    tmp_path: Path, torch_vectors: np.ndarray
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    embedder = Embedder(cache_dir=blocked)
    vectors = np.array(embedder.embed(TEXTS))
    assert embedder.backend == "torch"
    assert np.abs(vectors - torch_vectors).max() < 1e-6


def test_a_cached_graph_needs_no_torch(tmp_path: Path) -> None:
    import subprocess

    Embedder(cache_dir=tmp_path).load()
    code = (
        "import sys; from pathlib import Path; from lampdesk.retrieval.dense import Embedder\n"
        f"e = Embedder(cache_dir=Path({str(tmp_path)!r})); e.embed(['hello'])\n"
        "assert e.backend == 'onnx', e.backend\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
