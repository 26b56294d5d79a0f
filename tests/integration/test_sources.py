"""Issue 9 with the real parts: SQLCipher, Chroma, the embedder and the ``lampdesk`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lampdesk.app import LampDesk, Session
from lampdesk.evals.sources_bench import _fact, write_notes
from lampdesk.paths import DataPaths
from lampdesk.retrieval.dense import DenseIndex, Embedder
from lampdesk.sources.importer import SourceImporter
from lampdesk.vault.profiles import Vault
from tests.conftest import TEST_PASSPHRASE, files_containing
from tests.integration.conftest import Cli
from tests.sources_helpers import (
    chatgpt_conversation,
    make_chatgpt_zip,
    make_docx,
    make_html,
    make_locomo,
    make_pdf,
)

pytestmark = pytest.mark.embedder

#: Words that occur in one test file each, to find them (or their absence) anywhere on disk.
NEEDLES = {
    "diary.md": "Quillfeather",
    "owls.pdf": "Marrowbeck",
    "letter.docx": "Tindlewood",
    "recipe.html": "Brassicorn",
}


@pytest.fixture
def session(data_dir: Path, embedder: Embedder) -> Iterator[Session]:
    app = LampDesk(DataPaths.resolve(), embedder=embedder)
    session = app.open("default")
    yield session
    session.close()


def _documents(root: Path) -> Path:
    root.mkdir()
    (root / "diary.md").write_text(
        "# Diary\n\n## Spring\n\nI planted Quillfeather roses along the south fence.\n\n"
        "## Summer\n\nThe tomatoes failed again this year.\n",
        encoding="utf-8",
    )
    make_pdf(root / "owls.pdf", [["Owl census"], ["Marrowbeck barn owls nest in the old mill."]])
    make_docx(root / "letter.docx", "Letter", [("News", ["Aunt Tindlewood moved to Galway."])])
    make_html(root / "recipe.html", "Soup", "Brassicorn soup", ["Simmer the kale for an hour."])
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    return root


def _index_ids(session: Session) -> set[int]:
    return session.assistant.retriever.index.ids()


def _memory_ids(session: Session) -> set[int]:
    return {int(r[0]) for r in session.store.query("SELECT id FROM memories")}


def test_sources_land_encrypted_retrievable_with_provenance_and_go_whole(
    tmp_path: Path, data_dir: Path, session: Session
) -> None:
    importer = SourceImporter(session.profile, session.assistant.retriever)
    mine = session.profile.add_memory("I prefer tea to coffee.")
    folder = importer.apply(importer.preview("folder", _documents(tmp_path / "docs")))
    assert [p.path for p in folder.plan.problems] == ["corrupt.pdf"]
    conversations = [
        chatgpt_conversation(
            "c1", "Bikes", [("I ride a green Gazelle bike to work in Utrecht.", "Nice choice.")]
        ),
        chatgpt_conversation("c2", "Code", [("How do I reverse a list?", "Use reversed().")]),
    ]
    chat = importer.apply(
        importer.preview("chatgpt", make_chatgpt_zip(tmp_path / "chatgpt.zip", conversations))
    )
    assert chat.candidates == ["I ride a green Gazelle bike to work in Utrecht."]
    (learned,) = chat.learned  # through the memory loop, as if said in chat
    assert learned.decision.action == "add" and learned.memory_id is not None
    assert session.profile.memories([learned.memory_id])[0].topic == "activities"
    assert chat.indexed and folder.indexed
    assert _index_ids(session) == _memory_ids(session), "every item has its vector in Chroma"

    retriever = session.assistant.retriever
    questions = {
        "diary.md": "Which roses did I plant along the fence?",
        "owls.pdf": "Where do the Marrowbeck owls nest?",
        "letter.docx": "Where did aunt Tindlewood move?",
        "recipe.html": "How long do I simmer the kale in the Brassicorn soup?",
    }
    for file, question in questions.items():
        (top, *_) = retriever.search(question, limit=3)
        origin = top.why["from"]
        assert origin["file"].startswith(file), (question, top.text, origin)
        assert NEEDLES[file] in top.text
        assert origin["source"].startswith("docs (source 1, folder)")
        assert origin["position"] and origin["date"]
    assert retriever.search("Which roses?", limit=1)[0].why["from"]["position"] == "line 5-9"
    assert retriever.search("Marrowbeck owls", limit=1)[0].why["from"]["position"] == "page 1-2"
    (bike, *_) = retriever.search("What bike do I ride to work?", limit=1)
    assert "Gazelle" in bike.text and bike.why["from"]["position"] == "message 1"
    assert bike.why["from"]["file"] == "conversations.json: Bikes"
    questions_asked = [row["question"] for row in session.profile.interactions()]
    assert "I ride a green Gazelle bike to work in Utrecht." in questions_asked

    session.close()
    assert files_containing(data_dir, *NEEDLES.values(), "Gazelle") == [], "stored encrypted"
    session = LampDesk(DataPaths.resolve(), embedder=session.assistant.retriever.embedder).open()
    try:
        importer = SourceImporter(session.profile, session.assistant.retriever)
        removed = importer.remove(folder.written.source_id if folder.written else -1)
        assert removed.items_removed == folder.plan.items
        store = session.store
        for needle in NEEDLES.values():
            hits = store.query(
                "SELECT rowid FROM retrieval_fts WHERE retrieval_fts MATCH ?", (needle,)
            )
            assert hits == [], needle
        assert store.query("SELECT count(*) FROM retrieval_outbox") == [(0,)]
        assert _index_ids(session) == _memory_ids(session), "Chroma lost the removed vectors"
        importer.remove(chat.written.source_id if chat.written else -1)
        assert _memory_ids(session) == {mine.id}
        assert _index_ids(session) == {mine.id}
        assert session.profile.interactions() == []
        assert store.query("SELECT count(*) FROM memory_vectors") == [(1,)]
    finally:
        session.close()


def test_source_commands(tmp_path: Path, cli: Cli) -> None:
    docs = _documents(tmp_path / "docs")
    preview = cli("source", "add", "folder", str(docs), "--preview", "--json")
    assert preview.returncode == 0, preview.stderr
    planned = json.loads(preview.stdout)
    assert planned["preview"] is True and planned["items"] >= 4
    assert json.loads(cli("source", "list", "--json").stdout) == [], "a preview adds nothing"

    added = cli("source", "add", "folder", str(docs))
    assert added.returncode == 1, "some files had problems"
    assert "corrupt.pdf: not added: it is not a readable PDF" in added.stdout
    assert "indexing:" in added.stderr and "storing:" in added.stderr
    again = cli("source", "add", "folder", str(docs))
    assert again.returncode == 2 and "already source 1" in again.stderr

    locomo = cli("source", "add", "locomo", str(make_locomo(tmp_path / "conv.json")), "--json")
    assert locomo.returncode == 0, locomo.stderr
    assert json.loads(locomo.stdout)["items"] == 5

    not_export = tmp_path / "holiday.zip"
    with zipfile.ZipFile(not_export, "w") as archive:
        archive.writestr("photo.txt", "sun")
    bad = cli("source", "add", "chatgpt", str(not_export))
    assert bad.returncode == 2
    assert "no conversations.json: it is not a chat export" in bad.stderr

    listed = json.loads(cli("source", "list", "--json").stdout)
    assert [(s["id"], s["kind"], s["files"]) for s in listed] == [
        (1, "folder", 4),
        (2, "locomo", 1),
    ]
    found = json.loads(
        cli("source", "search", "What", "is", "the", "dog's", "name?", "--json").stdout
    )
    assert found[0]["turn_ids"] == ["D1:1"] and found[0]["why"]["from"]["position"] == "turn D1:1"

    (docs / "diary.md").write_text("# Diary\n\nI planted Emberline tulips.\n", encoding="utf-8")
    (docs / "recipe.html").unlink()
    rescan = cli("source", "rescan", "1", "--json")
    assert rescan.returncode == 1, rescan.stderr  # corrupt.pdf is still there
    report = json.loads(rescan.stdout)
    assert report["files_added"] == 1 and report["removed"] == ["recipe.html"]
    assert report["unchanged"] == 2
    tulips = json.loads(cli("source", "search", "Emberline", "tulips", "--json").stdout)
    assert "Emberline" in tulips[0]["text"]
    gone = json.loads(cli("source", "search", "Quillfeather", "roses", "--json").stdout)
    assert all("Quillfeather" not in item["text"] for item in gone)

    removed = cli("source", "remove", "1")
    assert removed.returncode == 0 and "Removed source 1" in removed.stdout
    assert cli("source", "remove", "1").returncode == 2
    doctor = cli("doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout


# -- acceptance 3: SIGKILL in the middle of an import ----------------------------------------


ADD_FOLDER = ("source", "add", "folder")


def _spawn(data_dir: Path, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "LAMPDESK_PASSPHRASE": TEST_PASSPHRASE}
    return subprocess.Popen(
        [sys.executable, "-m", "lampdesk", "--data-dir", str(data_dir), *ADD_FOLDER, str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _partway(line: str, stage: str) -> bool:
    """A progress line of *stage* with some of the work done and some still to do."""
    if not line.startswith(stage):
        return False
    done, total = (int(n) for n in line.split()[1].split("/"))
    return 0 < done < total


def _kill_when(child: subprocess.Popen[str], stage: str, *, partway: bool = False) -> list[str]:
    """SIGKILL *child* at its first progress line of *stage* (with *partway*, the first one
    that shows a finished batch and more to come: no timer, so the kill lands mid-stage
    however fast the machine is)."""
    assert child.stderr is not None
    seen: list[str] = []
    for line in child.stderr:
        seen.append(line)
        if _partway(line, stage) if partway else line.startswith(stage):
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=60)
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL, seen
    return seen


def _state(data_dir: Path) -> tuple[int, int, int, int, int]:
    """Sources, files, items, memories and FTS rows of the profile, read afresh."""
    _, store = Vault(DataPaths(data_dir)).open("default")
    with store:
        return (
            int(store.query("SELECT count(*) FROM sources")[0][0]),
            int(store.query("SELECT count(*) FROM source_files")[0][0]),
            int(store.query("SELECT count(*) FROM source_items")[0][0]),
            int(store.query("SELECT count(*) FROM memories")[0][0]),
            int(store.query("SELECT count(*) FROM retrieval_fts")[0][0]),
        )


def test_sigkill_while_storing_leaves_the_source_whole_or_absent(
    tmp_path: Path, data_dir: Path, cli: Cli
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    write_notes(notes, 1000)
    child = _spawn(data_dir, notes)
    _kill_when(child, "storing:")
    sources, files, items, memories, fts = _state(data_dir)
    assert (sources, files) in ((0, 0), (1, 1000)), "all or nothing"
    assert items == memories == fts
    assert (items == 0) == (sources == 0)
    doctor = cli("doctor", "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["ok"], doctor.stdout
    if sources == 0:  # the usual case: killed inside the transaction; now it goes through
        added = cli("source", "add", "folder", str(notes), "--preview", "--json")
        assert json.loads(added.stdout)["items"] > 3000


def test_sigkill_while_indexing_keeps_the_source_and_the_vectors_follow(
    tmp_path: Path, data_dir: Path, cli: Cli
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    write_notes(notes, 400)  # 1,600 items: four batches to index
    child = _spawn(data_dir, notes)
    lines = _kill_when(child, "indexing:", partway=True)
    assert any(line.startswith("storing: 1600/1600") for line in lines), lines
    assert _state(data_dir)[:3] == (1, 400, 1600), "stored whole before indexing began"
    _, store = Vault(DataPaths(data_dir)).open("default")
    with store:
        waiting = int(store.query("SELECT count(*) FROM retrieval_outbox")[0][0])
    assert 0 < waiting < 1600, "killed with part of the index written"
    doctor = cli("doctor", "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["ok"], doctor.stdout
    _, question = _fact(17)
    found = json.loads(cli("source", "search", question, "--json").stdout)
    assert found[0]["why"]["from"]["file"].endswith("note-0017.md: Notes on budget 17")
    _, store = Vault(DataPaths(data_dir)).open("default")
    with store:
        assert store.query("SELECT count(*) FROM retrieval_outbox") == [(0,)]
        entry = Vault(DataPaths(data_dir)).registry.find("default")
        assert entry is not None
        stored = {int(r[0]) for r in store.query("SELECT memory_id FROM memory_vectors")}
    assert DenseIndex(DataPaths(data_dir).index_dir(entry.id)).ids() == stored
    assert len(stored) == 1600
