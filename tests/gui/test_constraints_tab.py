"""The profile editor's Constraints tab (offscreen): what it shows and the changes it sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lampdesk.profile import Profile
from lampdesk.profile_edit import apply_changes, profile_state
from lampdesk.ui.profile_editor import ProfileEditor
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.store import Store

pytestmark = pytest.mark.gui


def test_switch_off_and_add_words_round_trip(qtbot: QtBot, tmp_path: Path) -> None:
    profile = Profile(
        Store.open(tmp_path / "p.db", ProfileKey(KeyMode.PASSPHRASE, "x"), create=True)
    )
    profile.set_attributes([("diet", "vegan")])
    profile.add_memory("I'm allergic to peanuts")
    editor = ProfileEditor()
    qtbot.addWidget(editor)
    editor.show_state(profile_state(profile))
    assert editor.constraints.count() == 2
    vegan, peanuts = editor.constraints.item(0), editor.constraints.item(1)
    assert "Vegan" in vegan.text() and "attribute diet=vegan" in vegan.text()
    assert "memory #1: I'm allergic to peanuts" in peanuts.text()
    vegan.setCheckState(Qt.CheckState.Unchecked)
    editor.constraints.setCurrentItem(peanuts)
    editor.constraint_terms.setText("bamba, peanut flour")
    editor._add_constraint_terms()
    sent: list[dict[str, Any]] = []
    editor.save_requested.connect(sent.append)
    editor.save()
    (changes,) = sent
    assert changes["constraints"] == {
        "off": ["vegan"],
        "on": [],
        "terms": {"peanut_allergy": ["bamba", "peanut flour"]},
    }
    state = apply_changes(profile, changes)
    editor.show_state(state)
    assert editor.constraints.item(0).checkState() == Qt.CheckState.Unchecked
    shown = {c["id"]: c for c in state["constraints"]}
    assert "peanut flour" in shown["peanut_allergy"]["excludes"]
    assert not shown["vegan"]["enabled"]
