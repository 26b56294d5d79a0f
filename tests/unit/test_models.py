import json
from pathlib import Path

import pytest

from lampdesk.errors import ModelError
from lampdesk.inference.engine import Engine
from lampdesk.inference.models import (
    EngineOptions,
    ModelInfo,
    ModelRegistry,
    check_gguf,
    embedded_model_path,
)
from lampdesk.paths import DataPaths


def test_embedded_model_is_installed() -> None:
    assert check_gguf(embedded_model_path()).name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        check_gguf(tmp_path / "none.gguf")


def test_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 2_000_000)
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(path)


def test_truncated(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(embedded_model_path().read_bytes()[:4096])
    with pytest.raises(ModelError, match="truncated"):
        check_gguf(path)


def test_broken_gguf_fails_to_load_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(embedded_model_path().read_bytes()[: 3 * 1024 * 1024])
    with pytest.raises(ModelError, match="could not load"):
        Engine(path).load()


def test_loading_is_lazy() -> None:
    assert not Engine().loaded


def test_engine_options_are_checked_kept_and_survive_hand_edits(tmp_path: Path) -> None:
    registry = ModelRegistry(DataPaths(tmp_path))
    assert registry.options() == EngineOptions(None, 2048)
    for bad, message in (
        (EngineOptions(0, 2048), "Threads"),
        (EngineOptions(None, 512), "from 1024 to 8192"),
        (EngineOptions(None, 8193), "trained for 8192"),
    ):
        with pytest.raises(ModelError, match=message):
            registry.set_options(bad)
    assert not registry.paths.models_file.exists()  # nothing was written
    assert registry.set_options(EngineOptions(2, 8192)) == registry.options()
    assert ModelRegistry(DataPaths(tmp_path)).options() == EngineOptions(2, 8192)
    data = json.loads(registry.paths.models_file.read_text())
    for edited in ({"threads": "many"}, {"threads": -3}, {"context_length": 10}, []):
        data["engine"] = edited
        registry.paths.models_file.write_text(json.dumps(data))
        assert registry.options() == EngineOptions(None, 2048), edited


def test_a_model_is_loaded_with_no_more_context_than_it_was_trained_for() -> None:
    small = ModelInfo("small", "small.gguf", 10**7, 4096, "llama", "")
    unknown = ModelInfo("unknown", "unknown.gguf", 10**7, None, "llama", "")
    assert EngineOptions(None, 8192).context_for(small) == 4096
    assert EngineOptions(None, 2048).context_for(small) == 2048
    assert EngineOptions(None, 8192).context_for(unknown) == 8192
