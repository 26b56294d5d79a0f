"""The settings dialog in the real window (offscreen): models, budget, export, import, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.inference.models import EngineOptions, ModelRegistry
from lampdesk.paths import DataPaths
from lampdesk.ui import settings_work
from lampdesk.vault.profiles import ProfileRegistry
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]
EXPORT = "export passphrase for the gui"


def test_settings_act_through_the_worker(qtbot: QtBot, data_dir: Path, tmp_path: Path) -> None:
    LampDesk(DataPaths.resolve()).open("work").close()
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    dialog = window.dialogs.settings_dialog
    with qtbot.waitSignal(dialog.shown_state, timeout=30_000):
        window.dialogs.show_settings()
    assert dialog.models.count() == 1 and "(in use)" in dialog.models.item(0).text()
    assert dialog.budget.value() == 512

    dialog.budget.setValue(128)
    with qtbot.waitSignal(dialog.shown_state, timeout=30_000):
        dialog.budget_button.click()
    assert "128 tokens" in dialog.message.text()

    assert dialog.threads.value() == 0 and dialog.context.value() == 2048  # the defaults
    assert dialog.context.maximum() == 8192  # what SmolLM2 was trained for
    dialog.threads.setValue(1)
    dialog.context.setValue(4096)
    with qtbot.waitSignal(dialog.shown_state, timeout=30_000):
        dialog.engine_button.click()
    assert "1 thread, a context of 4096 tokens" in dialog.message.text()
    assert ModelRegistry(DataPaths.resolve()).options() == EngineOptions(1, 4096)
    next_start = LampDesk(DataPaths.resolve())  # loads the model so, when it first answers
    assert (next_start.engine.n_threads, next_start.engine.n_ctx) == (1, 4096)
    next_start.close()

    target = tmp_path / "default.lampdesk"
    with qtbot.waitSignal(dialog.shown_state, timeout=60_000):
        dialog.request(settings_work.ExportProfile(str(target), EXPORT))
    assert target.is_file() and "Exported" in dialog.message.text()

    with qtbot.waitSignal(dialog.shown_state, timeout=60_000):
        dialog.request(settings_work.ImportProfile(str(target), EXPORT))
    assert "exists already" in dialog.message.text() or "already exists" in dialog.message.text()

    broken = tmp_path / "broken.lampdesk"
    broken.write_bytes(b"not a profile file")
    with qtbot.waitSignal(dialog.shown_state, timeout=60_000):
        dialog.request(settings_work.ImportProfile(str(broken), EXPORT))
    assert "not a LampDesk" in dialog.message.text() or "not a profile" in dialog.message.text()

    with qtbot.waitSignal(window.history_shown, timeout=60_000):
        dialog.request(settings_work.DeleteProfile("default"))
    assert ProfileRegistry(DataPaths.resolve()).find("default") is None
    assert [
        window.switcher.profiles.itemText(i) for i in range(window.switcher.profiles.count())
    ] == ["work"]
    assert "Profile: work" in window.status.text()
    window.shutdown()
