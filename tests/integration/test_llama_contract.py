"""What lampdesk/inference/engine.py relies on in llama-cpp-python beyond its public API.

Choice scoring decodes several continuations in one batch and reads their logits, and prefix
snapshots save and load the context's state: both go through ``Llama._ctx``, ``Llama._batch`` and
``Llama._requires_eval``, which are private. ``pyproject.toml`` pins the range these were checked
on (``>=0.3.36,<0.4``); this test fails loudly, naming the member, if an upgrade moves one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest


def test_the_installed_version_is_in_the_pinned_range() -> None:
    installed = version("llama-cpp-python")
    numbers = tuple(int(part) for part in installed.split(".")[:3])
    assert (0, 3, 36) <= numbers < (0, 4, 0), installed


def test_the_low_level_functions_exist() -> None:
    from llama_cpp import llama_cpp as lib

    for name in ("llama_state_get_size", "llama_state_get_data", "llama_state_set_data"):
        assert callable(getattr(lib, name, None)), f"llama_cpp.llama_cpp.{name} is gone"


def test_the_private_helpers_have_the_signatures_used() -> None:
    from llama_cpp._internals import LlamaBatch, LlamaContext
    from llama_cpp._utils import suppress_stdout_stderr

    for name in ("kv_cache_seq_rm", "decode", "get_logits"):
        assert callable(getattr(LlamaContext, name, None)), f"LlamaContext.{name} is gone"
    assert list(inspect.signature(LlamaContext.kv_cache_seq_rm).parameters)[1:] == [
        "seq_id",
        "p0",
        "p1",
    ]
    assert {"batch", "n_past", "logits_all"} <= set(
        inspect.signature(LlamaBatch.set_batch).parameters
    )
    assert "disable" in inspect.signature(suppress_stdout_stderr).parameters


@pytest.fixture(scope="module")
def llama() -> Iterator[Any]:
    from lampdesk.inference.engine import Engine
    from lampdesk.inference.models import new_llama

    model = new_llama(model_path=str(Engine().model_path), n_ctx=256, n_threads=1, verbose=False)
    yield model
    model.close()


@pytest.mark.model
def test_a_loaded_model_has_the_private_members(llama: Any) -> None:
    from llama_cpp import llama_cpp as lib

    assert hasattr(llama, "_requires_eval"), "Llama._requires_eval is gone"
    assert llama._ctx.ctx is not None, "Llama._ctx.ctx is gone"
    llama.eval(llama.tokenize(b"Hello there, friend"))
    n_vocab = llama.n_vocab()
    logits = llama._ctx.get_logits()
    assert logits is not None and n_vocab > 1000
    size = lib.llama_state_get_size(llama._ctx.ctx)
    assert size > 0
    llama._ctx.kv_cache_seq_rm(-1, 1, -1)  # drop all but the first token, as choice scoring does
    llama._batch.set_batch(
        batch=llama.tokenize(b" there", add_bos=False), n_past=1, logits_all=True
    )
    llama._ctx.decode(llama._batch)
