"""Real files for the source tests, made by the tests: documents, chat exports, LoCoMo."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A small valid PDF (Helvetica text, one content stream per page), written by hand: no
    PDF writer is a dependency, and pypdf cannot draw text."""
    count = len(pages)
    objects: list[str] = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids ["
        + " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
        + f"] /Count {count} >>",
    ]
    font = 3 + 2 * count
    for i, lines in enumerate(pages):
        ops = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
        content = f"BT /F1 12 Tf 72 720 Td {ops} ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Contents {4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(out)
    return path


def make_docx(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Pet", "Name"), ("Cat", "Miso")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(str(path))
    return path


def make_html(path: Path, title: str, heading: str, paragraphs: list[str]) -> Path:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(
        f"<!doctype html><html><head><title>{title}</title><style>p {{color: red}}</style>"
        f"<script>var secret = 'SCRIPTTEXT';</script></head><body><nav>Home | About</nav>"
        f"<h1>{heading}</h1>{body}<ul><li>first point</li><li>second point</li></ul>"
        "</body></html>",
        encoding="utf-8",
    )
    return path


def chatgpt_conversation(
    conv_id: str, title: str, exchanges: list[tuple[str, str]], start: float = 1_700_000_000.0
) -> dict[str, Any]:
    """A conversation as ChatGPT exports it: a tree of nodes, with a system message at the
    root and an abandoned branch (an edited first question) that must be left out."""
    mapping: dict[str, Any] = {
        "root": {"id": "root", "message": None, "parent": None, "children": ["sys"]},
        "sys": {
            "id": "sys",
            "parent": "root",
            "children": [],
            "message": {
                "author": {"role": "system"},
                "create_time": None,
                "content": {"content_type": "text", "parts": [""]},
                "metadata": {"is_visually_hidden_from_conversation": True},
            },
        },
    }
    parent = "sys"
    when = start
    for n, (question, answer) in enumerate(exchanges):
        user_id, bot_id = f"u{n}", f"a{n}"
        for node_id, role, text in ((user_id, "user", question), (bot_id, "assistant", answer)):
            when += 30
            mapping[node_id] = {
                "id": node_id,
                "parent": parent,
                "children": [],
                "message": {
                    "author": {"role": role},
                    "create_time": when,
                    "content": {"content_type": "text", "parts": [text]},
                    "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
                },
            }
            mapping[parent]["children"].append(node_id)
            parent = node_id
    # An earlier version of the first question, edited away: not on the current branch.
    mapping["old"] = {
        "id": "old",
        "parent": "sys",
        "children": [],
        "message": {
            "author": {"role": "user"},
            "create_time": start + 1,
            "content": {"content_type": "text", "parts": ["ABANDONED BRANCH question"]},
            "metadata": {},
        },
    }
    mapping["sys"]["children"].insert(0, "old")
    return {
        "id": conv_id,
        "conversation_id": conv_id,
        "title": title,
        "create_time": start,
        "update_time": when,
        "mapping": mapping,
        "current_node": parent,
    }


def make_chatgpt_zip(path: Path, conversations: list[dict[str, Any]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps(conversations))
        archive.writestr("user.json", json.dumps({"id": "user-1"}))
        archive.writestr("chat.html", "<html></html>")
    return path


def claude_conversation(
    conv_id: str, name: str, exchanges: list[tuple[str, str]]
) -> dict[str, Any]:
    messages = []
    for n, (question, answer) in enumerate(exchanges):
        messages.append(
            {
                "uuid": f"{conv_id}-h{n}",
                "sender": "human",
                "text": question,
                "created_at": f"2024-03-0{n + 1}T10:00:00.000000Z",
            }
        )
        messages.append(
            {
                "uuid": f"{conv_id}-a{n}",
                "sender": "assistant",
                "text": "",
                "content": [{"type": "text", "text": answer}],
                "created_at": f"2024-03-0{n + 1}T10:00:05.000000Z",
            }
        )
    return {
        "uuid": conv_id,
        "name": name,
        "created_at": "2024-03-01T09:59:00Z",
        "updated_at": "2024-03-05T10:00:00Z",
        "chat_messages": messages,
    }


def make_locomo(path: Path) -> Path:
    sample = {
        "sample_id": "conv-test",
        "conversation": {
            "speaker_a": "Mara",
            "speaker_b": "Teo",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Mara", "dia_id": "D1:1", "text": "I adopted a greyhound named Pixel."},
                {"speaker": "Teo", "dia_id": "D1:2", "text": "Lovely! Where did you find him?"},
                {"speaker": "Mara", "dia_id": "D1:3", "text": "At the shelter in Ghent."},
            ],
            "session_2_date_time": "10:00 am on 20 June, 2023",
            "session_2": [
                {"speaker": "Teo", "dia_id": "D2:1", "text": "I started learning the oboe."},
                {"speaker": "Mara", "dia_id": "D2:2", "text": "Pixel hates the oboe."},
            ],
        },
        "qa": [{"question": "What is the dog's name?", "evidence": ["D1:1"], "category": 1}],
    }
    path.write_text(json.dumps([sample]), encoding="utf-8")
    return path
