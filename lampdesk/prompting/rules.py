"""Rules the user sets for every answer, and the filter that enforces blocked terms on a stream."""

from __future__ import annotations

from lampdesk.profile import Rule as Rule  # stored by the profile, enforced here

REPLACEMENT = "[…]"


def _fold(text: str) -> str:
    """Lower-case without changing the length, so indexes map back to the original text."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class BlockedTermFilter:
    """Sits between the model and the user: no blocked term ever leaves it.

    Text is held back only while it could still be the start of a blocked term, so the stream
    stays live; a blocked term (any case) is replaced by ``[…]`` and counted.
    """

    def __init__(self, terms: tuple[str, ...] | list[str]) -> None:
        self.terms = sorted({_fold(t.strip()) for t in terms if t.strip()}, key=len, reverse=True)
        self._buffer = ""
        self.blocked: list[str] = []

    def feed(self, chunk: str) -> str:
        if not self.terms:
            return chunk
        self._buffer += chunk
        out: list[str] = []
        while True:
            folded = _fold(self._buffer)
            found = [(folded.find(t), t) for t in self.terms if t in folded]
            if not found:
                break
            index, term = min(found, key=lambda hit: (hit[0], -len(hit[1])))
            out.append(self._buffer[:index] + REPLACEMENT)
            self.blocked.append(term)
            self._buffer = self._buffer[index + len(term) :]
        keep = self._held_back(_fold(self._buffer))
        out.append(self._buffer[: len(self._buffer) - keep])
        self._buffer = self._buffer[len(self._buffer) - keep :]
        return "".join(out)

    def flush(self) -> str:
        rest, self._buffer = self._buffer, ""
        return rest

    def _held_back(self, folded: str) -> int:
        """Length of the longest tail of *folded* that some term starts with."""
        longest = 0
        for term in self.terms:
            for size in range(min(len(term) - 1, len(folded)), longest, -1):
                if term.startswith(folded[-size:]):
                    longest = size
                    break
        return longest
