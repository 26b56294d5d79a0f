"""The composition root: builds LampDesk's services once, for the CLI and the GUI alike."""

from __future__ import annotations

from dataclasses import dataclass

from lampdesk.assistant import Assistant
from lampdesk.inference.engine import Engine
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.prompting.templates import default_template
from lampdesk.retrieval.dense import DenseIndex, Embedder
from lampdesk.retrieval.retriever import Retriever
from lampdesk.retrieval.tokens import VocabTokenCounter
from lampdesk.vault.keys import PassphrasePrompt
from lampdesk.vault.profiles import DEFAULT_PROFILE, ProfileEntry, Vault
from lampdesk.vault.store import Store

#: Room kept free in the context for the answer.
ANSWER_RESERVE_TOKENS = 512
#: Tokens of retrieved profile items put in each prompt.
RETRIEVAL_BUDGET_TOKENS = 512


@dataclass
class Session:
    """One open profile and the assistant working on it."""

    entry: ProfileEntry
    store: Store
    profile: Profile
    assistant: Assistant

    def close(self) -> None:
        self.store.close()


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
        self.vault = Vault(paths, prompt)
        self.engine = engine or Engine()
        self.embedder = embedder or Embedder()
        # Items are counted with the chat model's own tokenizer (its vocabulary only).
        self.count_tokens = VocabTokenCounter(lambda: self.engine.model_path)

    def open(self, name: str = DEFAULT_PROFILE, *, create: bool = True) -> Session:
        """Open profile *name*; with *create*, make it first if it does not exist."""
        entry, store = self.vault.open_or_create(name) if create else self.vault.open(name)
        profile = Profile(store)
        retriever = Retriever(
            profile,
            DenseIndex(self.paths.index_dir(entry.id)),
            self.embedder,
            count_tokens=self.count_tokens,
        )
        builder = PromptBuilder(
            default_template(),
            count_tokens=self.engine.count_tokens,
            max_prompt_tokens=self.engine.n_ctx - ANSWER_RESERVE_TOKENS,
        )
        assistant = Assistant(
            profile, retriever, builder, self.engine, retrieval_budget=RETRIEVAL_BUDGET_TOKENS
        )
        return Session(entry, store, profile, assistant)

    def close(self) -> None:
        """Free the models; sessions are closed by their owners."""
        self.engine.close()
