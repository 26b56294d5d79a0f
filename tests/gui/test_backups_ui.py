"""Issue 19 in the real window (offscreen): a weak export passphrase is refused, the Backups tab
backs up and restores, and a damaged profile gets the offer to restore its newest backup."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from lampdesk.ui import settings_work
from lampdesk.vault.profiles import Vault
from tests.gui.test_main_window import make_window

pytestmark = [pytest.mark.gui, pytest.mark.model]


def test_weak_export_passphrase_is_refused_in_the_window(
    qtbot: QtBot, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=120_000)
    dialog = window.dialogs.settings_dialog
    with qtbot.waitSignal(dialog.shown_state, timeout=120_000):
        window.dialogs.show_settings()
    target = tmp_path / "weak.lampdesk"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("ab", True))
    dialog._export()  # what the "Export this profile…" button does
    assert "too weak" in dialog.message.text() and "offline" in dialog.message.text()
    assert not dialog.progress.isVisible() and not target.exists()
    # the worker refuses it too (a passphrase that reached it another way)
    with qtbot.waitSignal(dialog.shown_state, timeout=120_000):
        dialog.request(settings_work.ExportProfile(str(target), "password1"))
    assert "too weak" in dialog.message.text() and not target.exists()
    window.shutdown()


def test_backups_tab_backs_up_and_restores(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = LampDesk(DataPaths.resolve()).open()
    session.profile.add_memory("the first fact")
    session.close()  # backed up at close
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=120_000)
    dialog = window.dialogs.settings_dialog
    with qtbot.waitSignal(dialog.shown_state, timeout=120_000):
        window.dialogs.show_settings()
    tab = dialog.backup_tab
    assert tab.backups.count() == 1 and "1 memories" in tab.backups.item(0).text()

    with qtbot.waitSignal(dialog.shown_state, timeout=120_000):
        tab.backup_button.click()
    assert "Backed up: 1 memories" in dialog.message.text()
    assert tab.backups.count() == 2

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.backups.setCurrentRow(0)
    with qtbot.waitSignal(dialog.shown_state, timeout=120_000):
        tab.restore_button.click()
    assert "Restored the backup: 1 memories" in dialog.message.text(), dialog.message.text()
    window.shutdown()


def test_damaged_profile_offers_to_restore_the_newest_backup(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = LampDesk(DataPaths.resolve()).open()
    session.profile.add_memory("a fact worth keeping")
    session.close()
    vault = Vault(DataPaths.resolve())
    db = vault.paths.profile_db(vault.registry.get("default").id)
    db.write_bytes(db.read_bytes()[:3000])
    offers: list[str] = []
    from lampdesk.ui import profile_switch

    def accept(parent: object, message: str, restore: object) -> None:
        offers.append(message)
        restore()  # type: ignore[operator]

    monkeypatch.setattr(profile_switch, "offer_restore", accept)
    window = make_window(qtbot)
    qtbot.waitUntil(lambda: bool(offers), timeout=120_000)
    assert "damaged" in offers[0] and "'default'" in offers[0]
    qtbot.waitUntil(
        lambda: "Restored profile 'default'" in window.transcript.toPlainText(), timeout=120_000
    )
    _, store = vault.open("default")
    with store:
        assert store.query("SELECT text FROM memories") == [("a fact worth keeping",)]
    window.shutdown()
