"""The development data's JSON files: each names its format; only the wanted one counts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lampdesk.errors import UsageError


def documents(files: Iterable[Path], fmt: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of *files* whose ``format`` is *fmt*; a file not read is a usage error."""
    for path in files:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"{path} is not a readable JSON file: {exc}") from exc
        if isinstance(content, dict) and content.get("format") == fmt:
            yield content
