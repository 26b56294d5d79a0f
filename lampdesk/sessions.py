"""Open profiles: a :class:`Session` and its use cases, and the one owner per process.

Every front end of a process (the CLI, the resident channel, the window's worker, the API) asks
:class:`SessionOwner` for a profile by name: the first acquire opens it, each later one shares
that same session, and the last release closes it. So a change made through one front end (a
template reset forwarded to the running window, say) is what the others use from then on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lampdesk import settings
from lampdesk.assistant import Assistant
from lampdesk.errors import LampdeskError
from lampdesk.inference.engine import GenerationSettings
from lampdesk.profile import Profile
from lampdesk.profile_edit import apply_changes
from lampdesk.prompting.templates import (
    TEMPLATE_SETTING,
    Template,
    default_template,
    default_template_text,
    parse_template,
)
from lampdesk.vault import lock
from lampdesk.vault.backup import AutoBackup
from lampdesk.vault.profiles import ProfileEntry
from lampdesk.vault.store import Store

#: Room kept free in the context for the answer.
ANSWER_RESERVE_TOKENS = 512


def profile_template(profile: Profile) -> Template:
    own = profile.setting(TEMPLATE_SETTING)
    template = parse_template(own, "the profile's template") if own else default_template()
    persona = profile.setting(settings.PERSONA_SETTING)
    if persona:
        template = Template(template.name, {**template.segments, "persona": persona},
                            template.examples)  # fmt: skip
    return template


def profile_persona(profile: Profile) -> str:
    """The system prompt (persona) in use: the profile's own, else its template's."""
    own = profile.setting(settings.PERSONA_SETTING)
    if own:
        return own
    template_text = profile.setting(TEMPLATE_SETTING)
    template = (
        parse_template(template_text, "the profile's template")
        if template_text
        else default_template()
    )
    return template.segments["persona"]


def stored_budget(profile: Profile) -> int:
    """The profile's retrieval budget in tokens (its own, else the default)."""
    budget = profile.setting(settings.RETRIEVAL_BUDGET_SETTING)
    return int(budget) if budget else settings.RETRIEVAL_BUDGET_TOKENS


@dataclass
class Session:
    """One open profile and the assistant working on it.

    Front ends change the profile's settings, template and memories through these methods, so
    the running assistant follows each change at once (nothing is read only when it opens).
    """

    entry: ProfileEntry
    store: Store
    profile: Profile
    assistant: Assistant
    lock_path: Path | None = None
    #: Backs the profile up in the background once writes settle, and at close.
    backups: AutoBackup | None = None

    # -- the prompt template and the system prompt -------------------------------------------

    def template(self) -> Template:
        """The profile's prompt template as stored now."""
        return profile_template(self.profile)

    def template_text(self) -> str:
        """The text of the template in use (the profile's own, else the default)."""
        return self.profile.setting(TEMPLATE_SETTING) or default_template_text()

    def set_template(self, text: str | None) -> None:
        """Use the template *text* (checked first; ``None``: the default again), from the next
        question on."""
        stored = settings.check(TEMPLATE_SETTING, text) if text is not None else None
        self.profile.set_setting(TEMPLATE_SETTING, stored)
        self._follow_template()

    def persona(self) -> str:
        return profile_persona(self.profile)

    def set_persona(self, text: str | None) -> str:
        """Keep *text* as the profile's system prompt (``None`` or blank: the template's own
        again), checked first; the next question uses it. Returns the persona in use."""
        own = settings.check(settings.PERSONA_SETTING, text) if text else ""
        self.profile.set_setting(settings.PERSONA_SETTING, own or None)
        self._follow_template()
        return self.persona()

    def edit_profile(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The profile editor's changes, all or none (:func:`lampdesk.profile_edit.apply_changes`);
        a new template is used from the next question on."""
        state = apply_changes(self.profile, changes)
        if state.get("saved") and changes.get("template") is not None:
            self._follow_template()
        return state

    def _follow_template(self) -> None:
        self.assistant.builder.template = self.template()

    # -- generation, retrieval and memory settings -------------------------------------------

    def generation(self, **overrides: str) -> GenerationSettings:
        """The stored generation settings, with *overrides* (checked) on top."""
        return self.assistant.generation_settings(**overrides)

    def set_generation(self, values: Mapping[str, str]) -> GenerationSettings:
        """Check every one of *values* (``temperature="0.5"``...), then store them all."""
        for key, value in settings.check_all(settings.GENERATION_PREFIX, values).items():
            self.profile.set_setting(key, value)
        return self.generation()

    def answer_settings(self) -> dict[str, Any]:
        """What the window's answer settings show: ``temperature``, ``max_tokens``, ``persona``."""
        current = self.generation()
        return {
            "temperature": current.temperature,
            "max_tokens": current.max_tokens,
            "persona": self.persona(),
        }

    def set_answer_settings(self, changes: Mapping[str, str]) -> dict[str, Any]:
        """Generation settings and ``persona`` together: all checked before any is stored."""
        values = {key: value for key, value in changes.items() if key != "persona"}
        self.generation(**values)
        if "persona" in changes:
            self.set_persona(changes["persona"])
        self.set_generation(values)
        return self.answer_settings()

    @property
    def retrieval_budget(self) -> int:
        return self.assistant.retrieval_budget or 0

    def set_retrieval_budget(self, tokens: int) -> int:
        """Put up to *tokens* tokens of remembered items into each prompt, from now on."""
        stored = settings.check(settings.RETRIEVAL_BUDGET_SETTING, str(tokens))
        self.profile.set_setting(settings.RETRIEVAL_BUDGET_SETTING, stored)
        self.assistant.retrieval_budget = int(stored)
        return int(stored)

    def memory_settings(self) -> dict[str, str]:
        """``{short name: "on"|"off"}`` for each memory setting."""
        return settings.memory_state(self.profile.setting)

    def set_memory_settings(self, values: Mapping[str, str]) -> dict[str, str]:
        """Check every one of *values* (``enabled="off"``...), then store them all."""
        for key, value in settings.check_all(settings.MEMORY_PREFIX, values).items():
            self.profile.set_setting(key, value)
        return self.memory_settings()

    # -- memories ------------------------------------------------------------------------------

    def edit_memory(self, memory_id: int, text: str) -> None:
        """Change memory *memory_id*'s text (the old one stays in its history)."""
        self._changed(self.profile.edit_memory(memory_id, text), memory_id)

    def pin_memory(self, memory_id: int, pinned: bool) -> None:
        """Pin (always in the prompt) or unpin memory *memory_id*."""
        self._changed(self.profile.set_pinned(memory_id, pinned), memory_id)

    def forget_memory(self, memory_id: int) -> None:
        self._changed(self.profile.forget(memory_id), memory_id)

    def accept_memory(self, memory_id: int) -> None:
        """Keep a pending memory the learner proposed."""
        self._changed(self.profile.accept(memory_id) or True, memory_id)

    def reject_memory(self, memory_id: int) -> None:
        """Drop a pending memory the learner proposed."""
        self._changed(self.profile.reject(memory_id), memory_id)

    def _changed(self, found: object, memory_id: int) -> None:
        if not found:
            raise LampdeskError(f"That memory is gone already (memory {memory_id}).")
        self.assistant.index()  # edits and forgets reach both indexes now

    # -- life ----------------------------------------------------------------------------------

    def follow_engine(self, n_ctx: int) -> None:
        """The chat model was reloaded with a context of *n_ctx* tokens: prompts fit it."""
        self.assistant.builder.max_prompt_tokens = n_ctx - ANSWER_RESERVE_TOKENS

    def close(self) -> None:
        """The one teardown of a session: backups, the assistant, the store, the lock."""
        if self.backups is not None:
            self.backups.close()
            self.backups = None
        self.assistant.close()
        self.store.close()
        if self.lock_path is not None:
            lock.release(self.lock_path)
            self.lock_path = None


#: Opens profile *name* (``create``: make it first when missing) as a new session.
Opener = Callable[[str, bool], Session]


class SessionOwner:
    """One ref-counted session per open profile, shared by every front end of the process.

    Thread-safe: the window's worker, the resident channel and the API's threads acquire,
    use and release concurrently. A holder keeps the *name* and asks :meth:`get` for the live
    session, so a session closed for a restore or a delete (:meth:`suspended`) is reopened for
    every holder at once.
    """

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self._lock = threading.RLock()
        self._open: dict[str, Session] = {}
        self._holders: dict[str, int] = {}

    def acquire(self, name: str, *, create: bool = True) -> Session:
        """Hold profile *name* open (opening it, and with *create* making it, if need be)."""
        with self._lock:
            session = self._open.get(name) or self._opener(name, create)
            self._open[name] = session
            self._holders[name] = self._holders.get(name, 0) + 1
            return session

    def get(self, name: str) -> Session:
        """The open session of *name*, held by the caller (reopened after :meth:`suspended`)."""
        with self._lock:
            if not self._holders.get(name):
                raise LampdeskError(f"Profile {name!r} is not open here.")
            if name not in self._open:
                self._open[name] = self._opener(name, False)
            return self._open[name]

    def release(self, name: str) -> None:
        """Let go of *name*; the last release closes its session."""
        with self._lock:
            count = self._holders.get(name, 0) - 1
            if count > 0:
                self._holders[name] = count
                return
            self._holders.pop(name, None)
            session = self._open.pop(name, None)
            if session is not None:
                session.close()

    @contextlib.contextmanager
    def suspended(self, name: str) -> Iterator[None]:
        """Close *name*'s session for everyone (holders keep their hold) while the body replaces
        or removes its files; the next :meth:`get` opens what is there then."""
        with self._lock:
            session = self._open.pop(name, None)
            if session is not None:
                session.close()
            yield

    def close(self) -> None:
        """Close every session still held (the process is ending)."""
        with self._lock:
            sessions = list(self._open.values())
            self._open.clear()
            self._holders.clear()
        for session in sessions:
            session.close()
