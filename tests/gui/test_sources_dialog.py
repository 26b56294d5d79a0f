"""The Sources dialog in a real Qt application (offscreen), with the real store and embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from pytestqt.qtbot import QtBot

from lampdesk.app import LampDesk, Session
from lampdesk.evals.sources_bench import write_notes
from lampdesk.paths import DataPaths
from lampdesk.retrieval.dense import Embedder
from lampdesk.ui.sources_dialog import SourcesDialog
from tests.sources_helpers import make_pdf

pytestmark = [pytest.mark.gui, pytest.mark.embedder]


@pytest.fixture
def session(data_dir: Path, embedder: Embedder) -> Iterator[Session]:
    session = LampDesk(DataPaths.resolve(), embedder=embedder).open("default")
    yield session
    session.close()


@pytest.fixture
def dialog(qtbot: QtBot, session: Session) -> Iterator[SourcesDialog]:
    dialog = SourcesDialog(lambda: session)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.shutdown())
    with qtbot.waitSignal(dialog.list_shown, timeout=10_000):
        dialog.show()
    yield dialog
    dialog.shutdown()


def _count(session: Session, table: str) -> int:
    return int(session.store.query(f"SELECT count(*) FROM {table}")[0][0])


def test_preview_add_and_remove_a_folder(
    qtbot: QtBot, dialog: SourcesDialog, session: Session, tmp_path: Path
) -> None:
    assert dialog.worker.thread() is not QThread.currentThread()
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "plants.md").write_text("# Plants\n\nThe fig by the door gets water on Sundays.\n")
    make_pdf(folder / "manual.pdf", [["Descale the kettle monthly."]])
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    dialog.path.setText(str(folder))
    with qtbot.waitSignal(dialog.preview_shown, timeout=30_000) as shown:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert shown.args[0]["items"] == 2
    report = dialog.report.toPlainText()
    assert "plants.md" in report and "manual.pdf" in report
    assert "bad.pdf: not added: it is not a readable PDF" in report
    assert _count(session, "memories") == 0, "a preview writes nothing"
    assert dialog.add_button.isEnabled()

    with qtbot.waitSignal(dialog.import_shown, timeout=120_000) as done:
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert done.args[0]["indexed"] is True
    qtbot.waitUntil(lambda: dialog.sources.count() == 1)
    assert dialog.progress.value() == dialog.progress.maximum()
    assert "2 items" in dialog.sources.item(0).text()
    assert _count(session, "memories") == 2
    assert session.assistant.retriever.index.ids() == {1, 2}

    dialog.sources.setCurrentRow(0)
    with qtbot.waitSignal(dialog.list_shown, timeout=60_000) as listed:
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert listed.args[0] == 0 and dialog.sources.count() == 0
    assert _count(session, "memories") == 0
    assert session.assistant.retriever.index.ids() == set()


def test_cancel_adds_nothing(
    qtbot: QtBot, dialog: SourcesDialog, session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    write_notes(folder, 300)
    dialog.path.setText(str(folder))
    with qtbot.waitSignal(dialog.message_shown, timeout=30_000) as message:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert "cancelled" in message.args[0]
    assert not dialog.add_button.isEnabled()
    assert _count(session, "sources") == 0 and _count(session, "memories") == 0


def test_a_missing_path_is_a_message(qtbot: QtBot, dialog: SourcesDialog, tmp_path: Path) -> None:
    dialog.path.setText(str(tmp_path / "nowhere"))
    with qtbot.waitSignal(dialog.message_shown, timeout=10_000) as message:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert "does not exist" in message.args[0]
    assert "does not exist" in dialog.stage.text()


def test_why_panel_names_where_an_item_came_from() -> None:
    from lampdesk.ui.why_panel import why_html

    origin = {
        "source": "Notes (source 3, folder)",
        "file": "garden.md: Garden",
        "position": "line 4-9",
        "date": "2026-03-01",
    }
    result = {
        "question": "When do I prune?",
        "items": [{"text": "Prune in March.", "score": 1.2, "why": {"from": origin}}],
        "note": None,
        "rules": [],
        "blocked_terms": [],
        "dropped": [],
        "ttft_ms": 10.0,
        "tokens": 3,
        "tok_per_s": 5.0,
        "prompt_tokens": 40,
        "reused_tokens": 0,
        "retrieval_ms": 3.0,
        "model": "m",
        "messages": [],
    }
    page = why_html(result)
    assert "from garden.md: Garden, line 4-9 · Notes (source 3, folder) · 2026-03-01" in page
