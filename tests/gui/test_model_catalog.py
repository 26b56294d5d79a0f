"""Get models in the window and in the first-run wizard, against a hub on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lampdesk.inference import catalog
from lampdesk.inference.models import ModelRegistry, embedded_model_path
from lampdesk.paths import DataPaths
from lampdesk.ui.first_run import FirstRunWizard
from lampdesk.ui.main_window import MainWindow
from lampdesk.ui.model_catalog_dialog import ModelCatalogDialog, ModelStepPage
from tests.hub_server import Hub, running_hub

pytestmark = [pytest.mark.gui]
NAME = "qwen2.5-0.5b"
CHOSEN = "a long wizard passphrase"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    entry = catalog.find(NAME)
    with running_hub({(entry.repo, entry.file): embedded_model_path()}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        yield hub


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_the_first_run_step_recommends_what_fits_this_computer(
    qtbot: QtBot, data_dir: Path
) -> None:
    paths = DataPaths.resolve()
    wizard = FirstRunWizard(keyring_available=False, paths=paths)
    qtbot.addWidget(wizard)
    step = wizard.model_step
    assert step is not None
    expected = catalog.recommend(catalog.Machine.probe(paths.models_dir))
    assert step.recommended == expected
    if expected is not None:
        text = step.text.text()
        assert expected.title in text and f"{expected.size_mb:,} MB download" in text
        assert "slower than the built-in model" in text and "Skip this step" in text

    small = ModelStepPage(paths, catalog.Machine(ram_mb=2_000, free_disk_mb=100_000))
    qtbot.addWidget(small)
    assert small.recommended is not None and small.recommended.ram_mb <= 1_000
    tiny = ModelStepPage(paths, catalog.Machine(ram_mb=1_000, free_disk_mb=100_000))
    qtbot.addWidget(tiny)
    assert tiny.recommended is None and "keep the built-in one" in tiny.text.text()
    assert not tiny.download_button.isVisible()


@pytest.mark.model
def test_skipping_the_step_keeps_the_embedded_model_answering_offline(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")
    paths = DataPaths.resolve()
    wizard = FirstRunWizard(keyring_available=False, paths=paths)
    qtbot.addWidget(wizard)
    wizard.protection.passphrase.setText(CHOSEN)
    wizard.protection.confirm.setText(CHOSEN)
    wizard.show()
    while wizard.currentPage() is not wizard.model_step:
        wizard.next()
    assert wizard.model_step is not None and wizard.model_step.isComplete()
    wizard.accept()  # skip: nothing downloaded
    answers = wizard.result_data()
    assert ModelRegistry(paths).active().embedded
    assert files_under(paths.models_dir) == []

    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def no_internet(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise ConnectionRefusedError("offline")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", no_internet)
    window = MainWindow(paths, "default", answers.passphrase, answers)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    window.chat.question.setText("Say hello in three words.")
    with qtbot.waitSignal(window.answer_shown, timeout=120_000) as shown:
        window.chat.submit()
    assert shown.args[0]["answer"]
    window.dialogs.show_settings()  # Settings > Models > Get models… opens the catalogue
    qtbot.mouseClick(window.dialogs.settings_dialog.get_models_button, Qt.MouseButton.LeftButton)
    assert window.dialogs.model_catalog is not None and window.dialogs.model_catalog.isVisible()
    assert window.dialogs.model_catalog.recommended == wizard.model_step.recommended
    window.shutdown()
    assert attempts == []


def test_cancel_in_the_dialog_leaves_nothing_behind(qtbot: QtBot, data_dir: Path, hub: Hub) -> None:
    hub.pause_at = 20 * 1024 * 1024
    paths = DataPaths.resolve()
    dialog = ModelCatalogDialog(paths)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.shutdown())
    dialog.show()
    dialog.select(NAME)
    assert hub.endpoint in dialog.details.text()  # the address is shown before it starts
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(hub.paused.is_set, timeout=60_000)
    assert dialog.cancel_button.isEnabled() and not dialog.download_button.isEnabled()
    with qtbot.waitSignal(dialog.download_ended, timeout=60_000) as failed:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        hub.gate.set()
    assert "cancelled" in failed.args[0]
    assert "cancelled" in dialog.message.text() and dialog.download_button.isEnabled()
    assert files_under(paths.models_dir) == []
    assert [m.name for m in ModelRegistry(paths).models()] == ["smollm2-135m"]
    dialog.shutdown()


def test_the_dialog_downloads_checks_and_adds_a_model(
    qtbot: QtBot, data_dir: Path, hub: Hub
) -> None:
    paths = DataPaths.resolve()
    dialog = ModelCatalogDialog(paths)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.shutdown())
    dialog.select(NAME)
    with qtbot.waitSignal(dialog.model_added, timeout=120_000) as added:
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert added.args == [NAME]
    assert "Downloaded, checked and added" in dialog.message.text()
    assert NAME in [m.name for m in ModelRegistry(paths).models()]
    assert files_under(paths.downloads_dir) == []
    dialog.shutdown()
