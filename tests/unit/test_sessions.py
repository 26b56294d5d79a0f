"""The session owner: one ref-counted session per profile, shared by every front end."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest

from lampdesk.errors import LampdeskError, UsageError
from lampdesk.sessions import Session, SessionOwner
from lampdesk.settings import GENERATION_PREFIX, MEMORY_PREFIX, SETTINGS, check, check_all


class Opened:
    """Stands in for a :class:`Session`: the owner only opens and closes it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class Opener:
    def __init__(self) -> None:
        self.opened: list[tuple[str, bool]] = []
        self.made: list[Opened] = []

    def __call__(self, name: str, create: bool) -> Session:
        self.opened.append((name, create))
        self.made.append(Opened(name))
        return cast(Session, self.made[-1])


def test_holders_share_one_session_and_the_last_release_closes_it() -> None:
    opener = Opener()
    owner = SessionOwner(opener)
    first = owner.acquire("ana")
    second = owner.acquire("ana", create=False)
    assert first is second and opener.opened == [("ana", True)]
    owner.release("ana")
    assert opener.made[0].closed == 0 and owner.get("ana") is first
    owner.release("ana")
    assert opener.made[0].closed == 1
    with pytest.raises(LampdeskError, match="not open"):
        owner.get("ana")


def test_a_suspended_session_is_closed_for_all_and_reopened_on_next_use() -> None:
    opener = Opener()
    owner = SessionOwner(opener)
    before = owner.acquire("ana")
    with owner.suspended("ana"):
        assert opener.made[0].closed == 1
    after = owner.get("ana")
    assert after is not before and opener.opened == [("ana", True), ("ana", False)]
    owner.close()
    assert [s.closed for s in opener.made] == [1, 1]


def test_concurrent_acquires_open_the_profile_once() -> None:
    opener = Opener()
    owner = SessionOwner(opener)
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(owner.acquire("ana"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opener.opened) == 1 and all(s is got[0] for s in got)
    for _ in range(7):
        owner.release("ana")
    assert opener.made[0].closed == 0
    owner.release("ana")
    assert opener.made[0].closed == 1


def test_the_registry_checks_each_setting_as_the_front_ends_did() -> None:
    assert check("retrieval.budget", "256") == "256"
    assert check("memory.enabled", "off") == "off"
    assert SETTINGS["gen.temperature"].default == "0.3"
    with pytest.raises(UsageError, match="Unknown generation setting 'warmth'; known: max_tokens"):
        check_all(GENERATION_PREFIX, {"warmth": "1"})
    with pytest.raises(UsageError, match="temperature must be between 0 and 2"):
        check_all(GENERATION_PREFIX, {"temperature": "9"})
    with pytest.raises(UsageError, match="Unknown memory setting 'x'; known: enabled, ask_first"):
        check_all(MEMORY_PREFIX, {"x": "on"})
    with pytest.raises(UsageError, match="enabled is 'on' or 'off', not 'yes'"):
        check_all(MEMORY_PREFIX, {"enabled": "yes"})
    with pytest.raises(UsageError, match="budget"):
        check("retrieval.budget", "lots")
