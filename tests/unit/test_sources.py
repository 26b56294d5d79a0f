"""Sources without models: parsing, chunking, exports, limits, and the store's bookkeeping."""

from __future__ import annotations

import json
import os
import threading
import zipfile
from pathlib import Path

import pytest

from lampdesk.errors import SourceError
from lampdesk.profile import Profile
from lampdesk.sources.book import SourceBook
from lampdesk.sources.chat import candidate_texts
from lampdesk.sources.documents import Block, chunk_blocks, decode_text, markdown_blocks
from lampdesk.sources.model import ImportCancelled, Limits
from lampdesk.sources.scan import scan
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault
from lampdesk.vault.store import Store
from tests.sources_helpers import (
    chatgpt_conversation,
    claude_conversation,
    make_chatgpt_zip,
    make_docx,
    make_html,
    make_locomo,
    make_pdf,
)

# -- chunking ------------------------------------------------------------------------------


def test_headings_start_pieces_and_paragraphs_stay_whole() -> None:
    blocks = [
        Block("Trips", "line 1", heading=1),
        Block("Lisbon in May. " * 8, "line 3"),
        Block("Porto", "line 5", heading=2),
        Block("Port wine. " * 8, "line 7"),
        Block("Food", "line 9", heading=1),
        Block("Ramen. " * 40, "line 11"),
    ]
    chunks = chunk_blocks(blocks, max_chars=200, title="Journal")
    assert [c.position for c in chunks] == ["line 3", "line 7", "line 11", "line 11"]
    assert chunks[0].text.startswith("Trips\n\nLisbon in May.")
    assert chunks[1].context == "Journal > Trips > Porto"
    assert chunks[2].context == "Journal > Food", "a new top heading ends the old path"
    assert all(len(c.text) <= 200 for c in chunks)


def test_short_sections_are_packed_and_long_paragraphs_cut_at_sentences() -> None:
    blocks = [Block("A", "line 1", 2), Block("one.", "line 2"), Block("B", "line 3", 2)]
    blocks += [Block("two.", "line 4")]
    (packed,) = chunk_blocks(blocks, max_chars=500)
    assert packed.text == "A\n\none.\n\nB\n\ntwo." and packed.context == "A > B"
    long = " ".join(f"Sentence number {n} is here." for n in range(100))
    pieces = chunk_blocks([Block(long, "line 1")], max_chars=300)
    assert len(pieces) > 5 and all(len(p.text) <= 300 for p in pieces)
    assert all(p.text.endswith(".") for p in pieces), "cut at sentence ends"
    assert " ".join(p.text for p in pieces) == long


def test_markdown_structure_front_matter_and_code() -> None:
    text = (
        "---\ntags: [x]\n---\n# Plan\n\nIntro line.\n\n```\n# not a heading\n```\n\n"
        "After\n===\n\nEnd."
    )
    title, blocks = markdown_blocks(text)
    assert title == "Plan"
    assert [(b.heading, b.position) for b in blocks] == [
        (1, "line 4"),
        (0, "line 6"),
        (0, "line 8"),
        (1, "line 12"),
        (0, "line 15"),
    ]
    assert "# not a heading" in blocks[2].text and "tags" not in " ".join(b.text for b in blocks)


def test_text_decoding() -> None:
    assert decode_text("café".encode()) == "café"
    assert decode_text("\ufeffBOM".encode()) == "BOM"
    assert "Größe" in decode_text("Die Größe des Gartens ist schön groß.".encode("cp1252"))
    with pytest.raises(Exception, match="binary"):
        decode_text(b"\x89PNG\x00\x00\x01")


# -- a folder ------------------------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "deep" / "er").mkdir(parents=True)
    (root / ".obsidian").mkdir()
    (root / ".obsidian" / "config.md").write_text("# hidden")
    (root / "garden.md").write_text("# Garden\n\nThe quince tree needs pruning in February.\n")
    (root / "deep" / "er" / "todo.txt").write_text("Call the plumber.\n\nBuy ink.\n")
    make_pdf(root / "report.pdf", [["Quarterly owl census"], ["Barn owls: 14 pairs"]])
    make_docx(root / "letter.docx", "Letter", [("Greeting", ["Dear aunt Velma,"])])
    make_html(root / "page.html", "Recipe", "Lentil soup", ["Simmer for 40 minutes."])
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    (root / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    return root


def test_folder_scan_reads_every_format_and_reports_each_bad_file(tmp_path: Path) -> None:
    plan = scan("folder", _folder(tmp_path))
    by_path = {part.path: part for part in plan.parts}
    assert set(by_path) == {
        "garden.md",
        "deep/er/todo.txt",
        "report.pdf",
        "letter.docx",
        "page.html",
    }
    assert [i.position for i in by_path["report.pdf"].items] == ["page 1-2"]
    assert "Barn owls" in by_path["report.pdf"].items[0].text
    docx_text = " ".join(i.text for i in by_path["letter.docx"].items)
    assert "Dear aunt Velma" in docx_text and "Cat | Miso" in docx_text
    html = by_path["page.html"]
    assert html.title == "Recipe" and "Simmer for 40 minutes." in html.items[0].text
    assert "SCRIPTTEXT" not in html.items[0].text and "Home | About" not in html.items[0].text
    assert "first point" in html.items[0].text
    problems = {p.path: p.message for p in plan.problems}
    assert set(problems) == {"broken.pdf", "binary.txt"}
    assert "not a readable PDF" in problems["broken.pdf"]
    assert "binary" in problems["binary.txt"]
    assert plan.skipped == {".jpg": 1}
    assert all(i.happened_at for p in plan.parts for i in p.items)


def test_size_limits_leave_out_files_with_a_message_each(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    huge = root / "a-huge.md"
    with huge.open("wb") as handle:  # 2 GB, sparse: no disk is used
        handle.truncate(2 * 1024**3)
    for n in range(5):
        (root / f"note{n}.md").write_text(f"# Note {n}\n\n" + "words " * 200)
    limits = Limits(max_source_bytes=3500)
    plan = scan("folder", root, limits=limits)
    problems = {p.path: p.message for p in plan.problems}
    assert "2.0 GB" in problems["a-huge.md"]
    assert len(plan.parts) == 2, "as many notes as fit in the source's limit"
    assert sum("separate sources" in m for m in problems.values()) == 3
    plan = scan("folder", root, limits=Limits(max_files=1))
    assert len(plan.parts) == 1 and sum("at most 1 files" in p.message for p in plan.problems) == 4


def test_bad_paths_are_known_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        scan("folder", tmp_path / "nope")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(SourceError, match="not a folder"):
        scan("folder", tmp_path / "file.md")
    with pytest.raises(SourceError, match="Unknown kind"):
        scan("notion", tmp_path)


def test_cancel_stops_a_scan(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ImportCancelled):
        scan("folder", _folder(tmp_path), cancel=cancel)


# -- chat exports --------------------------------------------------------------------------


def test_chatgpt_export_takes_the_current_branch_of_the_users_messages(tmp_path: Path) -> None:
    conversation = chatgpt_conversation(
        "c1",
        "Moving house",
        [
            ("I am moving to Tallinn in April with my two cats.", "Congratulations! Tips: ..."),
            ("thanks", "You're welcome."),
        ],
    )
    export = make_chatgpt_zip(tmp_path / "export.zip", [conversation, "not a conversation"])
    plan = scan("chatgpt", export)
    (part,) = plan.parts
    assert part.title == "Moving house" and part.key == "c1"
    assert [i.text for i in part.items] == [
        "I am moving to Tallinn in April with my two cats.",
        "thanks",
    ]
    assert all("ABANDONED" not in i.text for i in part.items)
    assert [i.position for i in part.items] == ["message 1", "message 3"]
    assert part.items[0].happened_at == "2023-11-14" and part.items[0].kind == "message"
    first = part.interactions[0]
    assert first.answer == "Congratulations! Tips: ..." and first.model == "gpt-4o"
    assert first.created_at.startswith("2023-11-14T")
    assert part.candidates == ["I am moving to Tallinn in April with my two cats."]
    assert [p.message for p in plan.problems] == ["not a conversation (not a JSON object)"]


def test_claude_export_and_kind_mismatch(tmp_path: Path) -> None:
    conversations = [claude_conversation("k1", "Diet", [("I'm vegetarian since 2019.", "Noted.")])]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(conversations))
    plan = scan("claude", path)
    (part,) = plan.parts
    assert part.items[0].text == "I'm vegetarian since 2019."
    assert part.interactions[0].answer == "Noted." and part.items[0].happened_at == "2024-03-01"
    wrong = scan("chatgpt", path)
    assert not wrong.parts and "Claude export" in wrong.problems[0].message
    assert "source add claude" in wrong.problems[0].message


def test_a_zip_that_is_not_an_export_and_a_damaged_zip(tmp_path: Path) -> None:
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("img.txt", "hello")
    plan = scan("chatgpt", other)
    assert not plan.parts and "no conversations.json" in plan.problems[0].message
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(make_chatgpt_zip(tmp_path / "ok.zip", []).read_bytes()[:-30])
    plan = scan("chatgpt", damaged)
    assert not plan.parts and plan.problems


def test_candidate_texts_leave_out_what_cannot_be_a_fact_about_the_user() -> None:
    messages = [
        "I live in Ghent and I work as a nurse.",
        "thanks!",
        "Explain quantum tunnelling in simple terms.",
        "How do I reverse a list in Python?",
        "I'm vegan. What should I cook tonight?",
        "```python\nmy_list = [1, 2]\n```",
        "My sister's birthday is on 3 May.",
        "i live in ghent and i work as a nurse.",
        "I " + "pasted text " * 100,
    ]
    assert candidate_texts(messages) == [
        "I live in Ghent and I work as a nurse.",
        "I'm vegan. What should I cook tonight?",
        "My sister's birthday is on 3 May.",
    ]


def test_locomo_file_is_read_by_the_evaluations_loader(tmp_path: Path) -> None:
    plan = scan("locomo", make_locomo(tmp_path / "conv.json"))
    (part,) = plan.parts
    assert len(part.items) == 5 and part.title == "conv-test"
    first = part.items[0]
    assert first.text == "Mara: I adopted a greyhound named Pixel."
    assert first.position == "turn D1:1" and first.turn_ids == ("D1:1",)
    assert first.happened_at == "2023-05-08"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert "not a readable LoCoMo JSON file" in scan("locomo", bad).problems[0].message


# -- the store -----------------------------------------------------------------------------


@pytest.fixture
def store(data_dir: Path) -> Store:
    from lampdesk.paths import DataPaths

    vault = Vault(DataPaths.resolve(), prompt=lambda _w, _c: "pw")
    _, store = vault.create("default", KeyMode.PASSPHRASE)
    return store


def _counts(store: Store) -> tuple[int, int, int]:
    memories = store.query("SELECT count(*) FROM memories")[0][0]
    fts = store.query("SELECT count(*) FROM retrieval_fts WHERE retrieval_fts MATCH 'quince'")[0][0]
    interactions = store.query("SELECT count(*) FROM interactions")[0][0]
    return int(memories), int(fts), int(interactions)


def test_apply_rescan_and_remove_reach_the_store_and_fts(tmp_path: Path, store: Store) -> None:
    book = SourceBook(store)
    root = _folder(tmp_path)
    written = book.apply(scan("folder", root))
    (info,) = book.sources()
    assert info.files == 5 and info.items == written.items_added > 0
    assert _counts(store)[1] == 1
    origin = book.provenance([int(r[0]) for r in store.query("SELECT id FROM memories")])
    garden = next(v for v in origin.values() if v["file"].startswith("garden.md"))
    assert garden["position"] == "line 3" and garden["source"].startswith("notes (source 1")
    assert garden["date"]

    gone = {
        int(r[0])
        for r in store.query(
            "SELECT memory_id FROM source_items i JOIN source_files f ON f.id = i.file_id "
            "WHERE f.path IN ('garden.md', 'deep/er/todo.txt')"
        )
    }
    (root / "garden.md").write_text("# Garden\n\nThe medlar tree needs pruning in March.\n")
    (root / "deep" / "er" / "todo.txt").unlink()
    rescan = scan("folder", root, book.known_parts(info.id))
    rescan.source_id = info.id
    assert [p.path for p in rescan.parts] == ["garden.md"]
    assert rescan.removed == ["deep/er/todo.txt"] and len(rescan.unchanged) == 3
    result = book.apply(rescan)
    assert result.items_removed == 2 and result.items_added == 1
    assert _counts(store)[1] == 0, "the old text left the full-text index"
    assert book.get(info.id).files == 4
    # The dense index hears of each deletion through the outbox (an id SQLite gave again to
    # the new text is re-embedded under that id instead).
    outbox = dict(store.query("SELECT memory_id, op FROM retrieval_outbox"))
    live = {int(r[0]) for r in store.query("SELECT id FROM memories")}
    assert len(gone) == 2
    assert all(outbox[mid] == ("upsert" if mid in live else "delete") for mid in gone)

    removed = book.remove(info.id)
    assert removed.items_removed == book_items(written, result)
    assert _counts(store) == (0, 0, 0)
    assert store.query("SELECT count(*) FROM source_files")[0][0] == 0
    assert store.query("SELECT count(*) FROM retrieval_fts WHERE retrieval_fts MATCH 'medlar'")[
        0
    ] == (0,)
    with pytest.raises(SourceError, match="no source"):
        book.remove(info.id)


def book_items(first: object, second: object) -> int:
    added = first.items_added + second.items_added  # type: ignore[attr-defined]
    return int(added - second.items_removed)  # type: ignore[attr-defined]


def test_chat_export_interactions_are_removed_with_their_source(
    tmp_path: Path, store: Store
) -> None:
    conversations = [chatgpt_conversation(f"c{n}", f"T{n}", [(f"q{n}", f"a{n}")]) for n in range(3)]
    book = SourceBook(store)
    written = book.apply(scan("chatgpt", make_chatgpt_zip(tmp_path / "e.zip", conversations)))
    assert written.interactions_added == 3 and _counts(store)[2] == 3
    assert store.query("SELECT DISTINCT stopped_by FROM interactions") == [("imported",)]
    assert Profile(store).request_log() == [], "imported exchanges are no requests"
    assert len(Profile(store).interactions()) == 3, "but they are history"
    store.execute("INSERT INTO memories(text, created_at, updated_at) VALUES ('mine', 'x', 'x')")
    book.remove(written.source_id)
    assert _counts(store) == (1, 0, 0), "only what came from the source goes"


def test_cancel_while_storing_adds_nothing(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for n in range(30):
        (root / f"n{n}.md").write_text(
            "\n\n".join(f"Paragraph {k} of note {n}." for k in range(40))
        )
    plan = scan("folder", root, limits=Limits(max_chunk_chars=40))
    assert plan.items > 400
    cancel = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "storing" and done >= 200:
            cancel.set()

    with pytest.raises(ImportCancelled):
        SourceBook(store).apply(plan, progress, cancel)
    assert _counts(store) == (0, 0, 0)
    assert store.query("SELECT count(*) FROM sources")[0][0] == 0
    assert store.query("SELECT count(*) FROM retrieval_outbox")[0][0] == 0


def test_sources_travel_in_exports_and_merges(tmp_path: Path, data_dir: Path) -> None:
    from lampdesk.paths import DataPaths
    from lampdesk.vault import portable
    from tests.vault_helpers import EXPORT_PASSPHRASE, FAST_KDF

    def profile_with_source(root: Path, folder: str, text: str) -> bytes:
        notes = tmp_path / folder
        notes.mkdir()
        (notes / "a.md").write_text(f"# A\n\n{text}\n")
        (notes / "b.md").write_text("# B\n\nShared note.\n")
        _, store = Vault(DataPaths(root)).open_or_create("default")
        with store:
            SourceBook(store).apply(scan("folder", notes))
            return portable.export_bytes(store, "default", EXPORT_PASSPHRASE, FAST_KDF)

    home = Vault(DataPaths(data_dir))
    profile_with_source(data_dir, "home-notes", "Home fact.")
    away = profile_with_source(tmp_path / "away", "away-notes", "Away fact.")
    portable.import_profile(home, away, EXPORT_PASSPHRASE, as_name="copy")
    _, copy = home.open("copy")
    with copy:
        assert [s.files for s in SourceBook(copy).sources()] == [2]
    portable.import_profile(home, away, EXPORT_PASSPHRASE, merge="default")
    _, store = home.open("default")
    with store:
        book = SourceBook(store)
        assert [(s.label, s.files, s.items) for s in book.sources()] == [
            ("home-notes", 2, 2),
            ("away-notes", 2, 1),  # its "Shared note." is the one already at home
        ]
        ids = [int(r[0]) for r in store.query("SELECT id FROM memories ORDER BY id")]
        files = sorted(v["file"] for v in book.provenance(ids).values())
        assert files == ["a.md: A", "a.md: A", "b.md: B"]
        book.remove(book.sources()[1].id)
        texts = sorted(str(r[0]) for r in store.query("SELECT text FROM memories"))
        assert texts == ["A\n\nHome fact.", "B\n\nShared note."]


def test_a_bug_in_lampdesk_is_not_blamed_on_the_parser() -> None:
    from lampdesk.sources import scan

    def parser_library() -> None:  # stands for pypdf & co: code outside the lampdesk package
        raise ValueError("bad xref table")

    try:
        parser_library()
    except ValueError as exc:
        assert not scan._raised_by_lampdesk(exc)
    try:
        scan._raised_by_lampdesk(None)  # type: ignore[arg-type]  # LampDesk's own bug
    except AttributeError as exc:
        assert scan._raised_by_lampdesk(exc)
    else:
        raise AssertionError("expected an AttributeError")
