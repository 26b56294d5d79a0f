"""The system prompt (persona) a user types in Settings is checked before it is stored."""

from __future__ import annotations

import pytest

from lampdesk.app import MAX_PERSONA_CHARS, check_persona
from lampdesk.errors import UsageError


def test_a_plain_persona_is_kept_trimmed() -> None:
    assert check_persona("  You are a terse helper.\n") == "You are a terse helper."


def test_known_variables_and_doubled_braces_are_allowed() -> None:
    assert check_persona("You help {user_name}; write {{json}}.").startswith("You help")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("You are {nobody}.", "unknown variable {nobody}"),
        ("A stray { brace", "stray brace"),
        ("x" * (MAX_PERSONA_CHARS + 1), "too long"),
    ],
)
def test_a_bad_persona_is_refused_with_a_reason(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=said.replace("{", r"\{").replace("}", r"\}")):
        check_persona(text)
