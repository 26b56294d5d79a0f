"""Errors as the window shows them: a known error's own message, anything else as a bug."""

from __future__ import annotations

import traceback

from lampdesk.errors import LampdeskError

BUG_PREFIX = "Internal error (a bug):\n"


def error_message(exc: BaseException) -> str:
    """What to show for *exc*: its message when it is a known error, else a short traceback."""
    if isinstance(exc, LampdeskError):
        return str(exc)
    return BUG_PREFIX + "".join(traceback.format_exception(exc, limit=5))
