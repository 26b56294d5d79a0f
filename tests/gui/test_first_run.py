"""The first-run wizard creates an encrypted profile from what the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk
from lampdesk.paths import DataPaths
from lampdesk.ui.first_run import FirstRunWizard
from lampdesk.ui.main_window import MainWindow
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import ProfileRegistry
from tests.conftest import files_containing

pytestmark = [pytest.mark.gui, pytest.mark.model]
CHOSEN = "a long wizard passphrase"


def test_the_wizard_checks_the_passphrase(qtbot: QtBot) -> None:
    wizard = FirstRunWizard(keyring_available=False)
    qtbot.addWidget(wizard)
    protection = wizard.protection
    assert protection.use_passphrase.isChecked() and not protection.use_keyring.isEnabled()
    protection.passphrase.setText("short")
    assert not protection.isComplete() and "at least" in protection.problem.text()
    protection.passphrase.setText(CHOSEN)
    protection.confirm.setText(CHOSEN + "!")
    assert not protection.isComplete() and "differ" in protection.problem.text()
    protection.confirm.setText(CHOSEN)
    assert protection.isComplete() and protection.problem.text() == ""

    keyring = FirstRunWizard(keyring_available=True)
    qtbot.addWidget(keyring)
    assert keyring.protection.use_keyring.isChecked() and keyring.protection.isComplete()
    assert keyring.result_data().mode is KeyMode.KEYRING


def test_first_run_creates_an_encrypted_profile(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")
    wizard = FirstRunWizard(keyring_available=False)
    qtbot.addWidget(wizard)
    wizard.about.name.setText("Ana")
    wizard.about.diet.setText("vegetarian")
    wizard.about.city.setText("Ljubljana")
    wizard.protection.passphrase.setText(CHOSEN)
    wizard.protection.confirm.setText(CHOSEN)
    answers = wizard.result_data()
    assert answers.attributes == [("name", "Ana"), ("diet", "vegetarian"), ("city", "Ljubljana")]

    paths = DataPaths.resolve()
    window = MainWindow(paths, "default", answers.passphrase, answers)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    qtbot.waitUntil(lambda: "Profile: default" in window.status.text(), timeout=60_000)
    window.shutdown()

    (entry,) = ProfileRegistry(paths).entries()
    assert entry.key_mode is KeyMode.PASSPHRASE
    assert files_containing(data_dir, "Ljubljana", "vegetarian") == []
    session = LampDesk(paths, prompt=lambda _what, _confirm: CHOSEN).open(create=False)
    try:
        assert session.profile.attributes() == {
            "city": "Ljubljana",
            "diet": "vegetarian",
            "name": "Ana",
        }
    finally:
        session.close()
