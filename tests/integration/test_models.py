"""The model manager with real GGUF files: the embedded one, a copy, and broken ones."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from lampdesk.app import LampDesk
from lampdesk.errors import ModelError
from lampdesk.inference.engine import GenerationSettings
from lampdesk.inference.models import EMBEDDED_NAME, ModelRegistry, embedded_model_path
from lampdesk.paths import DataPaths

pytestmark = pytest.mark.model


@pytest.fixture
def registry(data_dir: Path) -> ModelRegistry:
    return ModelRegistry(DataPaths.resolve())


def test_add_reads_the_header_and_metadata(registry: ModelRegistry, tmp_path: Path) -> None:
    copy = tmp_path / "my-model.gguf"
    shutil.copy(embedded_model_path(), copy)
    info = registry.add(copy)
    assert info.name == "my-model" and info.context_length == 8192
    assert "im_start" in info.chat_template and info.architecture == "llama"
    assert [m.name for m in registry.models()] == [EMBEDDED_NAME, "my-model"]
    assert registry.active().name == EMBEDDED_NAME
    registry.use("my-model")
    assert registry.active().path == str(copy)
    registry.remove("my-model")
    assert registry.active().name == EMBEDDED_NAME and copy.exists()


@pytest.mark.parametrize("cut", [4096, 5 * 1024 * 1024])
def test_broken_files_are_refused_and_not_listed(
    registry: ModelRegistry, tmp_path: Path, cut: int
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(embedded_model_path().read_bytes()[:cut])
    with pytest.raises(ModelError, match=r"broken\.gguf"):
        registry.add(broken)
    assert [m.name for m in registry.models()] == [EMBEDDED_NAME]


def test_embedded_model_cannot_be_removed(registry: ModelRegistry) -> None:
    with pytest.raises(ModelError, match="fallback"):
        registry.remove(EMBEDDED_NAME)


def test_chosen_model_gone_bad_falls_back_with_a_warning(
    registry: ModelRegistry, tmp_path: Path, data_dir: Path, embedder: Any
) -> None:
    copy = tmp_path / "mine.gguf"
    shutil.copy(embedded_model_path(), copy)
    registry.add(copy)
    registry.use("mine")
    copy.write_bytes(copy.read_bytes()[: 5 * 1024 * 1024])  # damaged after it was added
    app = LampDesk(DataPaths.resolve(), embedder=embedder)
    session = app.open()
    try:
        result = session.assistant.ask("Hello", settings=GenerationSettings(max_tokens=4))
    finally:
        session.close()
        app.close()
    assert result.answer
    assert result.model == embedded_model_path().name
    # The fallback's warning first; the 4-token limit may add that the answer was cut.
    warning, *others = result.warnings
    assert all("length limit" in other for other in others)
    assert "could not load mine.gguf" in warning and "embedded model answered" in warning


def test_loads_in_two_threads_at_once_keep_the_process_output() -> None:
    """llama-cpp-python points stdout/stderr at /dev/null during a load; two at once, unlocked,
    could leave them there (a command's answer silently lost)."""
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from lampdesk.inference.models import embedded_model_path, load_vocabulary, new_llama\n"
        "path = str(embedded_model_path())\n"
        "for _ in range(6):\n"
        "    start = threading.Barrier(2)\n"
        "    def model():\n"
        "        start.wait(); new_llama(model_path=path, n_ctx=256, verbose=False)\n"
        "    def vocabulary():\n"
        "        start.wait(); load_vocabulary(embedded_model_path())\n"
        "    threads = [threading.Thread(target=model), threading.Thread(target=vocabulary)]\n"
        "    [t.start() for t in threads]; [t.join() for t in threads]\n"
        "print('still heard', flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.strip() == "still heard"
