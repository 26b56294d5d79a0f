"""The composition root: builds LampDesk's services once, for the CLI and the GUI alike."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

from lampdesk.assistant import Assistant
from lampdesk.errors import UsageError
from lampdesk.inference.engine import Engine
from lampdesk.inference.models import EngineOptions, ModelInfo, ModelRegistry
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.prompting.templates import (
    TEMPLATE_SETTING,
    VARIABLES,
    Template,
    default_template,
    parse_template,
    variables_in,
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
#: The profile's own system prompt (persona): it replaces the template's persona segment.
PERSONA_SETTING = "persona"
MAX_PERSONA_CHARS = 4000


def check_persona(text: str) -> str:
    """*text* as a persona segment, or a :class:`UsageError` naming what is wrong with it."""
    text = text.strip()
    if len(text) > MAX_PERSONA_CHARS:
        raise UsageError(f"The system prompt is too long: at most {MAX_PERSONA_CHARS} characters.")
    try:
        unknown = variables_in(text) - VARIABLES
    except ValueError as exc:
        raise UsageError(
            f"The system prompt has a stray brace ({exc}): write {{{{ or }}}} for a brace."
        ) from None
    if unknown:
        known = ", ".join("{" + v + "}" for v in sorted(VARIABLES))
        raise UsageError(
            f"The system prompt uses the unknown variable {{{sorted(unknown)[0]}}}; known: {known}."
        )
    return text


def profile_template(profile: Profile) -> Template:
    own = profile.setting(TEMPLATE_SETTING)
    template = parse_template(own, "the profile's template") if own else default_template()
    persona = profile.setting(PERSONA_SETTING)
    if persona:
        template = Template(template.name, {**template.segments, "persona": persona},
                            template.examples)  # fmt: skip
    return template


def profile_persona(profile: Profile) -> str:
    """The system prompt (persona) in use: the profile's own, else its template's."""
    own = profile.setting(PERSONA_SETTING)
    if own:
        return own
    template_text = profile.setting(TEMPLATE_SETTING)
    template = (
        parse_template(template_text, "the profile's template")
        if template_text
        else default_template()
    )
    return template.segments["persona"]


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

    def persona(self) -> str:
        return profile_persona(self.profile)

    def set_persona(self, text: str | None) -> str:
        """Keep *text* as the profile's system prompt (``None`` or blank: the template's own
        again), checked first; the next question uses it. Returns the persona in use."""
        own = check_persona(text) if text else ""
        self.profile.set_setting(PERSONA_SETTING, own or None)
        self.assistant.builder.template = self.template()
        return self.persona()

    def follow_engine(self, n_ctx: int) -> None:
        """The chat model was reloaded with a context of *n_ctx* tokens: prompts fit it."""
        self.assistant.builder.max_prompt_tokens = n_ctx - ANSWER_RESERVE_TOKENS

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
        #: The sessions opened here and still alive: their prompts follow a reloaded model.
        self._sessions: list[weakref.ref[Session]] = []

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
        session = Session(entry, store, profile, assistant, lock_path, backups)
        self._sessions = [ref for ref in self._sessions if ref() is not None]
        self._sessions.append(weakref.ref(session))
        return session

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
        """Free the models; sessions are closed by their owners."""
        self.engine.close()
