"""What lampdesk/inference relies on in llama-cpp-python beyond its public API.

Choice scoring (lampdesk/inference/scoring.py) decodes several continuations in one batch and
reads their logits, and prefix snapshots (lampdesk/inference/state.py) save and load the
context's state: both go through ``Llama._ctx``, ``Llama._batch`` and ``Llama._requires_eval``,
which are private; lampdesk/inference/models.py silences llama.cpp's output while reading a
vocabulary with ``llama_cpp._utils``. ``pyproject.toml`` pins the range these were checked on
(``>=0.3.36,<0.4``); this test fails loudly, naming the member, if an upgrade moves one, and
fails when the code starts using a private member it does not check.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

#: The private names checked below: members of ``Llama``, of its ``_ctx`` and ``_batch``, and
#: private modules of the package.
CHECKED = {
    "Llama": {"_ctx", "_batch", "_requires_eval"},
    "_ctx": {"ctx", "kv_cache_seq_rm", "decode", "get_logits"},
    "_batch": {"set_batch"},
    "modules": {"_internals", "_utils"},
}
LAMPDESK = Path(__file__).resolve().parents[2] / "lampdesk"


def private_uses() -> dict[str, set[tuple[str, str]]]:
    """Each private llama-cpp-python name the code uses, with the files that use it."""
    found: dict[str, set[tuple[str, str]]] = {key: set() for key in CHECKED}
    patterns = {
        "Llama": re.compile(r"\b_?llama\.(_\w+)"),
        "_ctx": re.compile(r"\._ctx\.(\w+)"),
        "_batch": re.compile(r"\._batch\.(\w+)"),
        "modules": re.compile(r"\bllama_cpp\.(_\w+)"),
    }
    for path in LAMPDESK.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for key, pattern in patterns.items():
            for name in pattern.findall(text):
                found[key].add((name, path.relative_to(LAMPDESK.parent).as_posix()))
    return found


def test_every_private_member_the_code_uses_is_checked_here() -> None:
    found = private_uses()
    for key, uses in found.items():
        unchecked = sorted(use for use in uses if use[0] not in CHECKED[key])
        assert not unchecked, f"private {key} names used but not checked here: {unchecked}"
    # The scan finds what the checks below are about (a scan that finds nothing proves nothing).
    assert {name for name, _ in found["Llama"]} == CHECKED["Llama"]
    where = {file for uses in found.values() for _, file in uses}
    assert {"lampdesk/inference/scoring.py", "lampdesk/inference/state.py"} <= where


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
