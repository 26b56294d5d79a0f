"""Write the ONNX graph LampDesk's embedder ran before it left PyTorch: ``torch.onnx.export``.

This is the export that ``lampdesk/retrieval/onnx_encoder.py`` did until the graph was written
straight from the weights (``lampdesk/retrieval/bert_graph.py``), kept so that
``lampdesk bench retrieval --baseline-graph`` can measure the new graph against the old one in
the same run. It needs torch and transformers, which LampDesk does not install:
scripts/bench_torch_embedder.sh makes a throwaway environment for it.

    python scripts/export_torch_graph.py MODEL_DIR OUT.onnx
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import torch
from transformers import AutoModel

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class LastHiddenState(torch.nn.Module):
    def __init__(self, bert: Any) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


def main(model_dir: str, target: str) -> None:
    model = LastHiddenState(AutoModel.from_pretrained(model_dir))
    model.eval()
    sample = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on operators it rewrites
        torch.onnx.export(
            model,
            (sample, sample, torch.zeros_like(sample)),
            target,
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in (*INPUTS, "last_hidden_state")},
            opset_version=OPSET,
            dynamo=False,
        )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
