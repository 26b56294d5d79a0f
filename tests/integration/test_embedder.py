"""The embedder with the real all-MiniLM-L6-v2, against sentence-transformers' own vectors.

The reference vectors (tests/fixtures/minilm_reference.json) were made by sentence-transformers
(scripts/make_minilm_reference.py); LampDesk's graph is written without PyTorch, and these tests
need none either.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from lampdesk.errors import ModelError
from lampdesk.retrieval import bert_graph, onnx_encoder
from lampdesk.retrieval.dense import Embedder, default_embedding_model_path

pytestmark = pytest.mark.embedder

FIXTURE = Path(__file__).parent.parent / "fixtures" / "minilm_reference.json"
HEAVY = ("torch", "transformers", "sentence_transformers")


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data["texts"], np.array(data["vectors"], dtype=np.float64)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    result: np.ndarray = (a * b).sum(axis=1) / (
        np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    )
    return result


def test_the_reference_covers_long_emoji_and_non_latin_texts(
    reference: tuple[list[str], np.ndarray],
) -> None:
    from tokenizers import Tokenizer

    texts, vectors = reference
    tokenizer = Tokenizer.from_file(str(default_embedding_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()  # the file itself truncates at 128
    lengths = [len(tokenizer.encode(text).ids) for text in texts]
    assert sum(n > 256 for n in lengths) >= 2  # truncated at the model's 256 tokens
    assert any(ord(c) > 0x1F000 for text in texts for c in text)  # emoji
    names = {unicodedata.name(c, "").split(" ")[0] for text in texts for c in text}
    assert {"CJK", "ARABIC", "CYRILLIC", "DEVANAGARI", "HANGUL", "GREEK"} <= names
    assert "" in texts
    assert vectors.shape == (len(texts), 384)


def test_vectors_match_sentence_transformers(
    tmp_path: Path, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference
    cache = tmp_path / "cache"
    embedder = Embedder(cache_dir=cache)  # an empty cache: the graph is written here
    vectors = np.array(embedder.embed(texts))
    assert [p.suffix for p in cache.iterdir()] == [".onnx"]
    assert vectors.shape == expected.shape
    assert cosines(vectors, expected).min() >= 0.9999
    assert np.abs(vectors - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # One text alone gets the vector it gets in a batch (padding does not leak in).
    for i in (1, 5, 7):
        (alone,) = embedder.embed([texts[i]])
        assert np.abs(np.array(alone) - vectors[i]).max() < 1e-5
    # And a cached graph gives the same vectors as a new one.
    again = np.array(Embedder(cache_dir=cache).embed(texts))
    assert np.abs(again - vectors).max() < 1e-6


def test_an_embedder_runs_a_graph_file_it_is_given(
    tmp_path: Path, reference: tuple[list[str], np.ndarray]
) -> None:
    """The bench's baseline: another ONNX file of the model, used as it is, nothing cached."""
    texts, expected = reference
    graph = tmp_path / "given.onnx"
    graph.write_bytes(bert_graph.build(default_embedding_model_path()))
    cache = tmp_path / "cache"
    vectors = np.array(Embedder(cache_dir=cache, graph=graph).embed(texts))
    assert cosines(vectors, expected).min() >= 0.9999
    assert not cache.exists()
    graph.write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="cannot load the ONNX graph"):
        Embedder(cache_dir=cache, graph=graph).load()


def test_a_damaged_graph_is_made_again(
    tmp_path: Path, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference
    cache = tmp_path / "cache"
    Embedder(cache_dir=cache).load()
    (graph,) = cache.iterdir()
    graph.write_bytes(graph.read_bytes()[:4096])
    vectors = np.array(Embedder(cache_dir=cache).embed(texts))
    assert graph.stat().st_size > 4096
    assert cosines(vectors, expected).min() >= 0.9999


def test_where_the_cache_cannot_be_written_the_graph_is_used_from_memory(
    tmp_path: Path, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    vectors = np.array(Embedder(cache_dir=blocked).embed(texts))
    assert cosines(vectors, expected).min() >= 0.9999
    assert blocked.read_text() == "a file where the cache directory should be"


def test_a_new_graph_builder_writes_a_new_graph_and_removes_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = default_embedding_model_path()
    cache = tmp_path / "cache"
    Embedder(cache_dir=cache).load()
    (old,) = cache.iterdir()
    assert old.name == f"{model.name}-{onnx_encoder.cache_key(model)}.onnx"
    before = onnx_encoder.cache_key(model)
    monkeypatch.setattr(bert_graph, "builder_key", lambda: "a-changed-builder")
    assert onnx_encoder.cache_key(model) != before
    Embedder(cache_dir=cache).load()
    (new,) = cache.iterdir()
    assert new != old and new.name.endswith(f"{onnx_encoder.cache_key(model)}.onnx")


def test_the_builder_key_follows_the_builder_code(monkeypatch: pytest.MonkeyPatch) -> None:
    key = bert_graph.builder_key()
    assert key == bert_graph.builder_key()  # stable within a run, not a random name
    assert len(key) == 16
    # Its inputs are the module's functions' code: one changed constant changes it.
    code = bert_graph.build.__code__
    assert "emb/sum" in code.co_consts
    changed = code.replace(
        co_consts=tuple("emb/total" if c == "emb/sum" else c for c in code.co_consts)
    )
    monkeypatch.setattr(bert_graph.build, "__code__", changed)
    assert bert_graph.builder_key() != key


def test_a_model_that_is_not_bert_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(
        '{"model_type": "gpt2", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1}'
    )
    with pytest.raises(ModelError, match="not a BERT"):
        Embedder(model, cache_dir=tmp_path / "cache").embed(["hello"])
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_embedding_needs_no_torch(tmp_path: Path) -> None:
    """Writing the graph and embedding, in a fresh process: none of PyTorch's stack imported,
    and none of it installed."""
    code = (
        "import importlib.util, sys; from pathlib import Path\n"
        "from lampdesk.retrieval.dense import Embedder\n"
        f"Embedder(cache_dir=Path({str(tmp_path / 'cache')!r})).embed(['hello', 'world'])\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        f"installed = [m for m in {HEAVY!r} if importlib.util.find_spec(m)]\n"
        "assert not installed, installed\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".onnx"]


def test_the_bundles_half_precision_weights_keep_the_vectors(
    tmp_path: Path, reference: tuple[list[str], np.ndarray]
) -> None:
    """The desktop bundle ships the weight matrices as float16 (scripts/half_precision_weights.py,
    used by build.spec): the embedder reads them, and its vectors still match the reference."""
    import importlib.util

    script = Path(__file__).parent.parent.parent / "scripts" / "half_precision_weights.py"
    spec = importlib.util.spec_from_file_location("half_precision_weights", script)
    assert spec is not None and spec.loader is not None
    half = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(half)

    source = default_embedding_model_path()
    model = tmp_path / source.name
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("*.safetensors"))
    half.halve(source / "model.safetensors", model / "model.safetensors")
    size = (model / "model.safetensors").stat().st_size
    assert size < 0.51 * (source / "model.safetensors").stat().st_size

    texts, expected = reference
    vectors = np.array(Embedder(model, cache_dir=tmp_path / "cache").embed(texts))
    assert cosines(vectors, expected).min() >= 0.9999
    # The graph is named after these weights, not the full-precision ones.
    (graph,) = (tmp_path / "cache").iterdir()
    assert graph.name == f"{model.name}-{onnx_encoder.cache_key(model)}.onnx"
    assert onnx_encoder.cache_key(model) != onnx_encoder.cache_key(source)
