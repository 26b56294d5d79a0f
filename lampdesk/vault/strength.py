"""How strong a passphrase is against offline guessing, as zxcvbn estimates it.

An export file can be copied anywhere and attacked offline, where only scrypt's cost slows the
attacker; zxcvbn's score 4 ("very unguessable", at least 10^10 guesses) is the least an export
passphrase must reach.
"""

from __future__ import annotations

import math

from lampdesk.errors import WeakPassphraseError

#: zxcvbn's top score: at least 10**10 guesses, resistant to offline slow-hash guessing.
MIN_SCORE = 4
#: zxcvbn looks at this many characters; longer passphrases are judged on their start.
_MAX_CHECKED = 100


def estimate(passphrase: str) -> tuple[int, float, str]:
    """(score 0-4, log10 of the guesses needed, zxcvbn's advice)."""
    from zxcvbn import zxcvbn

    result = zxcvbn(passphrase[:_MAX_CHECKED])
    feedback = result.get("feedback") or {}
    advice = " ".join(
        part
        for part in [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        if part
    )
    return int(result["score"]), math.log10(max(float(result["guesses"]), 1.0)), advice


def weakness(passphrase: str) -> str | None:
    """Why *passphrase* is too weak for an export file, or ``None`` when it is strong enough."""
    score, log_guesses, advice = estimate(passphrase)
    if score >= MIN_SCORE:
        return None
    reason = (
        f"This passphrase is too weak for an export file: it could be guessed in about "
        f"10^{log_guesses:.0f} tries, and a copied file can be attacked offline for as long as "
        "it takes. Use four or more uncommon words or a longer passphrase"
    )
    return reason + (f" ({advice})." if advice else ".")


def check_export_passphrase(passphrase: str) -> None:
    """Refuse a passphrase that zxcvbn rates below :data:`MIN_SCORE`."""
    reason = weakness(passphrase)
    if reason is not None:
        raise WeakPassphraseError(reason)
