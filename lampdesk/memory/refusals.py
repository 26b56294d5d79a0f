"""The refusals the memory loop honours: :mod:`lampdesk.refusals` (the profile's layer, since
forgetting and rejecting in :class:`lampdesk.profile.Profile` record them)."""

from lampdesk.refusals import (
    CONVERSATION_GAP_S,
    KEY_SETTING,
    fingerprint,
    held_back,
    refuse,
    refuse_memory,
)

__all__ = [
    "CONVERSATION_GAP_S",
    "KEY_SETTING",
    "fingerprint",
    "held_back",
    "refuse",
    "refuse_memory",
]
