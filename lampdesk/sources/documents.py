"""Documents cut on their structure: headings start a piece, paragraphs are never split unless
one alone is longer than an item may be.

Parsing is left to maintained libraries: markdown-it-py (CommonMark) for Markdown, pypdf for
PDF, python-docx for DOCX and lxml's HTML parser for HTML. Each parser returns blocks (a heading
or a paragraph with its position); :func:`chunk_blocks` packs them into items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lampdesk.sources.model import Chunk

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*\n", re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class DocumentError(Exception):
    """The file is not a readable document of its type; the message says why."""


@dataclass(frozen=True)
class Block:
    text: str
    position: str
    #: 1-6 for a heading, 0 for a paragraph, list, table or code block.
    heading: int = 0


# -- packing -------------------------------------------------------------------------------


def chunk_blocks(blocks: Iterable[Block], max_chars: int, title: str = "") -> list[Chunk]:
    """Cut a document on its structure into pieces of at most *max_chars*.

    Each section (a heading and what follows it up to the next heading) is cut at paragraph
    ends when it is too long; then neighbouring short sections are packed together, each with
    its heading line, while they fit. A piece's heading path (after the document's *title*) is
    its searchable context; its position is where its first paragraph starts.
    """
    pieces: list[tuple[str, str, str, list[str]]] = []  # (text, start, end, heading path)
    path: list[tuple[int, str]] = []
    body: list[str] = []
    start = end = ""

    def flush() -> None:
        nonlocal body, start
        if body:
            heading = path[-1][1] if path else ""
            text = "\n\n".join(([heading] if heading else []) + body)
            pieces.append((text, start, end, [h for _, h in path]))
        body, start = [], ""

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.heading:
            flush()
            path = [(level, h) for level, h in path if level < block.heading]
            path.append((block.heading, _SPACES.sub(" ", text)[:200]))
            continue
        heading_chars = len(path[-1][1]) + 2 if path else 0
        for piece in _split_long(text, max(max_chars - heading_chars, max_chars // 2)):
            used = heading_chars + sum(len(b) + 2 for b in body)
            if body and used + len(piece) > max_chars:
                flush()
            if not body:
                start = block.position
            end = block.position
            body.append(piece)
    flush()
    return _pack(pieces, max_chars, title)


def _pack(pieces: list[tuple[str, str, str, list[str]]], max_chars: int, title: str) -> list[Chunk]:
    """Join neighbouring pieces while the result fits in *max_chars*."""
    chunks: list[Chunk] = []
    texts: list[str] = []
    headings: list[str] = []
    start = end = ""

    def flush() -> None:
        if texts:
            lead = [title] if title and (not headings or headings[0] != title) else []
            position = _span(start, end)
            chunks.append(Chunk("\n\n".join(texts), position, " > ".join(lead + headings)))

    for text, first, last, path in pieces:
        if texts and sum(len(t) + 2 for t in texts) + len(text) > max_chars:
            flush()
            texts, headings = [], []
        if not texts:
            start = first
        end = last
        texts.append(text)
        headings += [h for h in path if h not in headings]
    flush()
    return chunks


def _span(start: str, end: str) -> str:
    """``"page 1"`` and ``"page 2"`` -> ``"page 1-2"``; one position stays as it is."""
    first = start.rpartition(" ")[0]
    other, _, last = end.rpartition(" ")
    if start == end or first != other:
        return start
    return f"{start}-{last}"


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph longer than *limit*: cut at line ends, then sentence ends, then spaces."""
    limit = max(limit, 1)
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for separator in ("\n", _SENTENCE_END, " "):
        parts = text.split(separator) if isinstance(separator, str) else separator.split(text)
        if len(parts) > 1:
            joiner = separator if isinstance(separator, str) else " "
            current = ""
            for part in parts:
                candidate = f"{current}{joiner}{part}" if current else part
                if len(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    pieces.append(current)
                current = part
            if current:
                pieces.append(current)
            return [p for piece in pieces for p in _split_long(piece, limit)]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


# -- text ----------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes of a text file as text: UTF-8 (with or without BOM), else the encoding
    charset-normalizer finds; binary content is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError("it is not valid UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError("it holds binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError("its text encoding could not be recognised")
    return str(best)


def text_blocks(text: str) -> Iterator[Block]:
    """Plain text: a paragraph is what blank lines separate; its position is its first line."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            yield Block("\n".join(current).strip(), f"line {start}")
            current = []
    if current:
        yield Block("\n".join(current).strip(), f"line {start}")


def markdown_blocks(text: str) -> tuple[str, list[Block]]:
    """Markdown through markdown-it-py (CommonMark): headings, and every other top-level block
    (paragraph, list, quote, code, table) as written. Returns the first heading (the title)."""
    from markdown_it import MarkdownIt

    text = text.replace("\r\n", "\n")
    front = _FRONT_MATTER.match(text)
    if front:  # YAML front matter (Obsidian, Jekyll): kept out, line numbers kept
        text = "\n" * front.group(0).count("\n") + text[front.end() :]
    lines = text.split("\n")
    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[Block] = []
    title = ""
    for i, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        first, last = token.map
        position = f"line {first + 1}"
        if token.type == "heading_open":
            inline = tokens[i + 1].content if i + 1 < len(tokens) else ""
            level = int(token.tag[1:])
            title = title or inline
            blocks.append(Block(inline, position, heading=level))
        elif token.type != "hr":
            blocks.append(Block("\n".join(lines[first:last]).strip(), position))
    return title, blocks


# -- binary formats ------------------------------------------------------------------------


def pdf_blocks(path: Path) -> tuple[str, list[Block]]:
    """A PDF's text page by page (pypdf); a page's paragraphs are split on blank lines."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs every recoverable oddity of a damaged file; the import report says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise DocumentError("it is an encrypted PDF; save an unencrypted copy to add it")
        title = ""
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title)
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            for paragraph in re.split(r"\n\s*\n", text):
                if paragraph.strip():
                    blocks.append(Block(paragraph.strip(), f"page {number}"))
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"it is not a readable PDF ({_reason(exc)})") from exc
    if not blocks:
        raise DocumentError("the PDF has no text layer (a scan?); nothing to add")
    return title, blocks


def docx_blocks(path: Path) -> tuple[str, list[Block]]:
    """A Word document (python-docx): "Heading N" and "Title" styles are headings; tables are
    one block a row, cells joined with " | "."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
        title = str(document.core_properties.title or "")
        blocks: list[Block] = []
        number = 0
        for element in document.iter_inner_content():
            number += 1
            position = f"paragraph {number}"
            if isinstance(element, Table):
                for row in element.rows:
                    cells = [c.text.strip() for c in row.cells]
                    if any(cells):
                        blocks.append(Block(" | ".join(cells), position))
                continue
            style = element.style.name if element.style is not None else ""
            level = _docx_heading_level(str(style or ""))
            blocks.append(Block(element.text, position, heading=level))
            if level and not title:
                title = element.text.strip()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"it is not a readable DOCX file ({_reason(exc)})") from exc
    return title, blocks


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)  # under the Title, so one level down
    return min(int(match.group(1)) + 1, 6) if match else 0


_HTML_SKIP = {"script", "style", "noscript", "template", "head", "nav", "svg", "form", "button"}
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HTML_BLOCKS = {
    "p", "li", "pre", "blockquote", "dd", "dt", "tr", "figcaption", "caption", "address",
}  # fmt: skip
_HTML_CONTAINERS = {
    "html", "body", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "figure", "details", "summary",
}  # fmt: skip


def html_blocks(data: bytes) -> tuple[str, list[Block]]:
    """An HTML page through lxml's HTML parser: headings, paragraphs, list items, table rows;
    scripts, styles and navigation left out."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise DocumentError(f"it is not a readable HTML page ({_reason(exc)})") from exc
    title_element = root.find(".//title")
    title = _clean(title_element.text_content()) if title_element is not None else ""
    blocks: list[Block] = []

    def add(text: str, heading: int = 0) -> None:
        text = _clean(text)
        if text:
            blocks.append(Block(text, f"paragraph {len(blocks) + 1}", heading))

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _HTML_SKIP:
            return
        if tag in _HTML_HEADINGS:
            add(element.text_content(), _HTML_HEADINGS[tag])
        elif tag == "tr":
            cells = [_clean(c.text_content()) for c in element if isinstance(c.tag, str)]
            add(" | ".join(c for c in cells if c))
        elif tag in _HTML_BLOCKS or not any(_is_structural(d) for d in element.iterdescendants()):
            add(element.text_content())
        else:
            if element.text and element.text.strip():
                add(element.text)
            for child in element:
                walk(child)
                if child.tail and child.tail.strip():
                    add(child.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    return title, blocks


def _is_structural(element: Any) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag in _HTML_HEADINGS or tag in _HTML_BLOCKS or tag in _HTML_CONTAINERS


def _clean(text: str) -> str:
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


# -- one file ------------------------------------------------------------------------------


def read_document(path: Path, data: bytes, max_chars: int) -> tuple[str, list[Chunk]]:
    """*path*'s title and pieces; *data* is its content, already read. Raises
    :class:`DocumentError` with a reason a person can act on."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt == "markdown":
        title, blocks = markdown_blocks(decode_text(data))
    elif fmt == "text":
        title, blocks = "", list(text_blocks(decode_text(data)))
    elif fmt == "pdf":
        title, blocks = pdf_blocks(path)
    elif fmt == "docx":
        title, blocks = docx_blocks(path)
    elif fmt == "html":
        title, blocks = html_blocks(data)
    else:
        raise DocumentError(f"{path.suffix or 'a file without suffix'} is not a supported format")
    title = _clean(title)[:200] or path.stem
    return title, chunk_blocks(blocks, max_chars, title)
