"""The composition root: builds LampDesk's services once, for the CLI and the GUI alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lampdesk.assistant import Assistant
from lampdesk.inference.engine import Engine
from lampdesk.inference.models import ModelRegistry
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.prompting.templates import (
    TEMPLATE_SETTING,
    Template,
    default_template,
    parse_template,
)
from lampdesk.retrieval.dense import DenseIndex, Embedder, IndexRepairer
from lampdesk.retrieval.retriever import Retriever
from lampdesk.retrieval.tokens import VocabTokenCounter
from lampdesk.sources.book import SourceBook
from lampdesk.vault import lock
from lampdesk.vault.backup import AutoBackup
from lampdesk.vault.keys import PassphrasePrompt
from lampdesk.vault.profiles import DEFAULT_PROFILE, ProfileEntry, Vault
from lampdesk.vault.store import Store

#: Room kept free in the context for the answer.
ANSWER_RESERVE_TOKENS = 512
#: Tokens of retrieved profile items put in each prompt (a profile may choose its own).
RETRIEVAL_BUDGET_TOKENS = 512
RETRIEVAL_BUDGET_SETTING = "retrieval.budget"


def profile_template(profile: Profile) -> Template:
    own = profile.setting(TEMPLATE_SETTING)
    return parse_template(own, "the profile's template") if own else default_template()


@dataclass
class Session:
    """One open profile and the assistant working on it."""

    entry: ProfileEntry
    store: Store
    profile: Profile
    assistant: Assistant
    lock_path: Path | None = None
    #: Backs the profile up in the background once writes settle, and at close.
    backups: AutoBackup | None = None

    def template(self) -> Template:
        """The profile's prompt template as stored now."""
        return profile_template(self.profile)

    def close(self) -> None:
        if self.backups is not None:
            self.backups.close()
            self.backups = None
        self.assistant.close()
        self.store.close()
        if self.lock_path is not None:
            lock.release(self.lock_path)
            self.lock_path = None


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

    def open(self, name: str = DEFAULT_PROFILE, *, create: bool = True) -> Session:
        """Open profile *name*; with *create*, make it first if it does not exist.

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
        budget = profile.setting(RETRIEVAL_BUDGET_SETTING)
        assistant = Assistant(
            profile,
            retriever,
            builder,
            self.engine,
            retrieval_budget=int(budget) if budget else RETRIEVAL_BUDGET_TOKENS,
        )
        backups = AutoBackup(store, self.paths.backups_dir(entry.id))
        return Session(entry, store, profile, assistant, lock_path, backups)

    def close(self) -> None:
        """Free the models; sessions are closed by their owners."""
        self.engine.close()
