"""The memory browser's changes, as typed requests the worker carries out (no widgets here).

Each one is a typed call on :class:`lampdesk.sessions.Session`, which updates both indexes and
says when the memory is gone already.
"""

from __future__ import annotations

from dataclasses import dataclass

from lampdesk.app import Session


@dataclass(frozen=True)
class MemoryChange:
    """A change to memory *memory_id*, sent to the worker as it is (a queued signal)."""

    memory_id: int

    def run(self, session: Session) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class EditMemory(MemoryChange):
    text: str

    def run(self, session: Session) -> None:
        session.edit_memory(self.memory_id, self.text)


@dataclass(frozen=True)
class PinMemory(MemoryChange):
    pinned: bool

    def run(self, session: Session) -> None:
        session.pin_memory(self.memory_id, self.pinned)


@dataclass(frozen=True)
class ForgetMemory(MemoryChange):
    def run(self, session: Session) -> None:
        session.forget_memory(self.memory_id)


@dataclass(frozen=True)
class AcceptMemory(MemoryChange):
    def run(self, session: Session) -> None:
        session.accept_memory(self.memory_id)


@dataclass(frozen=True)
class RejectMemory(MemoryChange):
    def run(self, session: Session) -> None:
        session.reject_memory(self.memory_id)
