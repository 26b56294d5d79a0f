"""The profile's entities and their persistence in the encrypted store, one module each:

- :mod:`~lampdesk.profile.attributes`: the user's ``key=value`` attributes;
- :mod:`~lampdesk.profile.memories`: memories with their provenance and history;
- :mod:`~lampdesk.profile.proposals`: changes to memories waiting for the user;
- :mod:`~lampdesk.profile.interactions`: questions, answers and the items they used;
- :mod:`~lampdesk.profile.feedback`: reactions to answers, and the weights they move;
- :mod:`~lampdesk.profile.rules`, :mod:`~lampdesk.profile.settings`: what the user sets;
- :mod:`~lampdesk.profile.vectors`: the items' vectors and the dense index's outbox;
- :mod:`~lampdesk.profile.prefix_states`: the evaluated prompt prefix of each model.

Each is the only module of LampDesk with SQL for its tables; :class:`Profile` holds them all.
"""

from lampdesk.profile.attributes import parse_attribute
from lampdesk.profile.constraint_kinds import CONSTRAINT_KINDS, DIET_TYPES, constraint_of
from lampdesk.profile.core import Profile
from lampdesk.profile.feedback import FEEDBACK_FACTORS, FEEDBACK_KINDS
from lampdesk.profile.interactions import Interaction, UsedItem
from lampdesk.profile.memories import (
    DOCUMENT_EMBED_CHARS,
    MAX_WEIGHT,
    MIN_WEIGHT,
    WEIGHT_HALF_LIFE_DAYS,
    Memory,
    NewItem,
    faded_weight,
)
from lampdesk.profile.proposals import Proposal
from lampdesk.profile.rules import Rule

__all__ = [
    "CONSTRAINT_KINDS",
    "DIET_TYPES",
    "DOCUMENT_EMBED_CHARS",
    "FEEDBACK_FACTORS",
    "FEEDBACK_KINDS",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "WEIGHT_HALF_LIFE_DAYS",
    "Interaction",
    "Memory",
    "NewItem",
    "Profile",
    "Proposal",
    "Rule",
    "UsedItem",
    "constraint_of",
    "faded_weight",
    "parse_attribute",
]
