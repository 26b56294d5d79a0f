"""The composition root: builds LampDesk's services once, for the CLI and the GUI alike."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from lampdesk.assistant import Assistant
from lampdesk.inference.engine import Engine
from lampdesk.inference.models import MAX_CONTEXT, EngineOptions, ModelInfo, ModelRegistry
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.retrieval.dense import DenseIndex, Embedder, IndexRepairer
from lampdesk.retrieval.retriever import Retriever
from lampdesk.retrieval.tokens import VocabTokenCounter
from lampdesk.sessions import (
    ANSWER_RESERVE_TOKENS,
    Session,
    SessionOwner,
    profile_persona,
    profile_template,
    stored_budget,
)
from lampdesk.settings import (
    MAX_PERSONA_CHARS,
    PERSONA_SETTING,
    RETRIEVAL_BUDGET_SETTING,
    RETRIEVAL_BUDGET_TOKENS,
    check_persona,
)
from lampdesk.sources.book import SourceBook
from lampdesk.vault import lock, recovery
from lampdesk.vault.backup import AutoBackup, BackupInfo
from lampdesk.vault.keys import KeyMode, PassphrasePrompt
from lampdesk.vault.profiles import DEFAULT_PROFILE, Vault

#: Names other modules import from here (the composition root).
__all__ = [
    "ANSWER_RESERVE_TOKENS",
    "MAX_PERSONA_CHARS",
    "PERSONA_SETTING",
    "RETRIEVAL_BUDGET_SETTING",
    "RETRIEVAL_BUDGET_TOKENS",
    "LampDesk",
    "Session",
    "check_persona",
    "profile_persona",
    "profile_template",
]


class LampDesk:
    """Process-wide services: paths, the vault, and the (lazily loaded) models."""

    def __init__(
        self,
        paths: DataPaths,
        *,
        prompt: PassphrasePrompt | None = None,
        engine: Engine | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.paths = paths
        self.vault = Vault(paths, prompt, index_repair=IndexRepairer())
        self.models = ModelRegistry(paths)
        if engine is None:
            options, model = self.models.options(), self.models.active()
            engine = Engine(
                Path(model.path),
                n_ctx=options.context_for(model),
                n_threads=options.threads,
                fallback=True,
            )
        self.engine = engine
        self.embedder = embedder or Embedder()
        # Items are counted with the chat model's own tokenizer (its vocabulary only).
        self.count_tokens = VocabTokenCounter(lambda: self.engine.model_path)
        #: The sessions opened here and still alive: their prompts follow a reloaded model.
        self._sessions: list[weakref.ref[Session]] = []
        #: The profiles the front ends of this process hold open, one shared session each.
        self.sessions = SessionOwner(lambda name, create: self.open(name, create=create))

    def acquire(self, name: str = DEFAULT_PROFILE, *, create: bool = True) -> Session:
        """Profile *name*'s session, shared with every other front end of this process; hold it
        until :meth:`release` (see :class:`lampdesk.sessions.SessionOwner`)."""
        return self.sessions.acquire(name, create=create)

    def release(self, name: str) -> None:
        self.sessions.release(name)

    def create_profile(
        self, name: str, attributes: list[tuple[str, str]], mode: KeyMode | None = None
    ) -> None:
        """Make profile *name* already holding *attributes* (all or nothing: staged)."""
        self.vault.create_staged(
            name, lambda store: Profile(store).set_attributes(attributes), mode
        )

    def open(self, name: str = DEFAULT_PROFILE, *, create: bool = True) -> Session:
        """Open profile *name* as a session of the caller's own (front ends share theirs through
        :meth:`acquire`); with *create*, make it first if it does not exist.

        The profile is locked for this process before its key is tried, so a second process
        waits briefly, then refuses with a clear message.
        """
        existing = self.vault.registry.find(name)
        lock_path: Path | None = None
        if existing is not None:
            lock_path = self.paths.profile_lock(existing.id)
            lock.acquire(lock_path, name)
        try:
            if existing is None and create:
                entry, store = self.vault.create(name)
                lock_path = self.paths.profile_lock(entry.id)
                lock.acquire(lock_path, name)
            else:
                entry, store = self.vault.open(name)
        except BaseException:
            if lock_path is not None:
                lock.release(lock_path)
            raise
        profile = Profile(store)
        retriever = Retriever(
            profile,
            DenseIndex(self.paths.index_dir(entry.id)),
            self.embedder,
            count_tokens=self.count_tokens,
            provenance=SourceBook(store).provenance,
        )
        builder = PromptBuilder(
            profile_template(profile),
            count_tokens=self.engine.count_tokens,
            max_prompt_tokens=self.engine.n_ctx - ANSWER_RESERVE_TOKENS,
        )
        assistant = Assistant(
            profile, retriever, builder, self.engine, retrieval_budget=stored_budget(profile)
        )
        backups = AutoBackup(store, self.paths.backups_dir(entry.id))
        session = Session(entry, store, profile, assistant, lock_path, backups)
        self._sessions = [ref for ref in self._sessions if ref() is not None]
        self._sessions.append(weakref.ref(session))
        return session

    def restore_profile(self, name: str, backup_name: str | None = None) -> BackupInfo:
        """Restore backup *backup_name* (the newest by default) of profile *name*, closed for
        every front end while its files are replaced; each gets the restored one on next use."""
        with self.sessions.suspended(name):
            entry = self.vault.registry.get(name)
            return recovery.restore_with_undo(self.vault, entry, backup_name)

    def delete_profile(self, name: str) -> None:
        """Delete profile *name*, closed first for every front end that holds it."""
        with self.sessions.suspended(name):
            self.vault.delete(name)

    def add_model(self, path: Path, name: str | None = None) -> ModelInfo:
        """Register the GGUF file at *path* (checked first) as a model to answer with."""
        return self.models.add(path, name)

    def remove_model(self, name: str) -> None:
        """Forget the registered model *name* (its file is left alone)."""
        self.models.remove(name)

    def model_state(self) -> dict[str, Any]:
        """The registered models, the one in use and how it is loaded (for a settings screen)."""
        active = self.models.active()
        return {
            "models": [m.as_json() for m in self.models.models()],
            "active": active.name,
            "engine": self.models.options().as_json(),
            "max_context": active.context_length or MAX_CONTEXT,
        }

    def use_model(self, name: str) -> ModelInfo:
        """Answer with the registered model *name* from the next question on, no restart: it
        is loaded now (in the caller's thread: a worker's, never a GUI's), then kept as the
        choice. A missing or broken file raises :class:`ModelError`; the old model stays."""
        info = self.models.get(name)
        self._reload(info, self.models.options())
        return self.models.use(name)

    def set_engine_options(self, options: EngineOptions) -> EngineOptions:
        """Keep *options* (threads, context length) and reload the model with them now."""
        current = self.models.options()
        kept = self.models.set_options(options)
        try:
            self._reload(self.models.active(), kept)
        except BaseException:
            self.models.set_options(current)
            raise
        return kept

    def _reload(self, info: ModelInfo, options: EngineOptions) -> None:
        before = self.engine.model_path
        self.engine.switch(
            None if info.embedded else Path(info.path),
            n_ctx=options.context_for(info),
            n_threads=options.threads,
        )
        if self.engine.model_path != before:
            self.count_tokens.reset()
        for ref in self._sessions:
            session = ref()
            if session is not None:
                session.follow_engine(self.engine.n_ctx)

    def close(self) -> None:
        """Close the sessions still held, then free the models (sessions of one's own, from
        :meth:`open`, are closed by whoever opened them)."""
        self.sessions.close()
        self.engine.close()
