"""Keeps llama.cpp's evaluated stable prefix across restarts, inside the encrypted profile.

The state encodes the user's profile text, so it is stored only in the profile's SQLCipher
database, never as a plain file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from lampdesk.inference.engine import Engine, Message, PrefixState
from lampdesk.profile import Profile


class PrefixCache:
    def __init__(self, engine: Engine, profile: Profile) -> None:
        self.engine = engine
        self.profile = profile
        self._saved_sha: str | None = None

    def _stable_text(self, messages: Sequence[Message], stable_chars: int) -> str:
        rendered = self.engine.render(messages)
        start = rendered.find(messages[0]["content"])
        return rendered[: start + stable_chars] if start >= 0 else ""

    def _sha(self, stable_text: str) -> str:
        return hashlib.sha256(f"{self.engine.model_name}\0{stable_text}".encode()).hexdigest()

    def restore(self, messages: Sequence[Message], stable_chars: int) -> bool:
        """Before generating in a fresh process: load the saved state of this stable prefix."""
        if self.engine.cached_tokens() > 0:
            return False
        sha = self._sha(self._stable_text(messages, stable_chars))
        saved = self.profile.prefix_state(self.engine.model_name, sha)
        if saved is None:
            return False
        tokens = tuple(int(t) for t in np.frombuffer(saved[0], dtype=np.int32))
        if self.engine.restore_prefix(PrefixState(self.engine.model_name, tokens, saved[1])):
            self._saved_sha = sha
            return True
        return False

    def save(self, messages: Sequence[Message], stable_chars: int) -> bool:
        """After answering: when this stable prefix has no saved state yet, save the context
        as it is (the stable prefix and what followed it; the live cache is left intact)."""
        stable_text = self._stable_text(messages, stable_chars)
        sha = self._sha(stable_text)
        if not stable_text or sha == self._saved_sha:
            return False
        if self.profile.prefix_state(self.engine.model_name, sha) is None:
            state = self.engine.snapshot()
            if not state.tokens:
                return False
            self.profile.save_prefix_state(
                state.model, sha, np.asarray(state.tokens, dtype=np.int32).tobytes(), state.state
            )
        self._saved_sha = sha
        return True
