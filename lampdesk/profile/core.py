"""The profile: one object holding a store per entity of one encrypted store."""

from __future__ import annotations

from lampdesk.profile.attributes import Attributes
from lampdesk.profile.feedback import Feedback
from lampdesk.profile.interactions import Interactions
from lampdesk.profile.memories import Memories
from lampdesk.profile.prefix_states import PrefixStates
from lampdesk.profile.proposals import Proposals
from lampdesk.profile.rules import Rules
from lampdesk.profile.settings import Settings
from lampdesk.profile.vectors import Vectors
from lampdesk.vault.store import Store


class Profile:
    """What LampDesk knows about its user, read from and written to one encrypted store.

    Each entity has its own store object (its module is the only one with SQL for its
    tables); the profile's methods are those objects' methods under the names its callers
    use (``profile.add_memory`` is ``profile.memory_store.add``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.attribute_store = Attributes(store)
        self.memory_store = Memories(store)
        self.proposal_store = Proposals(store)
        self.vector_store = Vectors(store)
        self.interaction_store = Interactions(store)
        self.feedback_store = Feedback(store)
        self.setting_store = Settings(store)
        self.rule_store = Rules(store)
        self.prefix_store = PrefixStates(store)

        attributes = self.attribute_store
        self.set_attributes = attributes.set
        self.unset_attributes = attributes.unset
        self.attributes = attributes.all

        memories = self.memory_store
        self.add_memory = memories.add
        self.add_items = memories.add_items
        self.edit_memory = memories.edit
        self.memory_history = memories.history
        self.set_pinned = memories.set_pinned
        self.pinned_memories = memories.pinned
        self.memories = memories.get
        self.embedding_inputs = memories.embedding_inputs
        self.memory_count = memories.count
        self.forget = memories.forget
        self.statement_memories = memories.of_kinds

        self.propose = self.proposal_store.propose
        self.proposals = self.proposal_store.pending
        self.accept = self.proposal_store.accept
        self.reject = self.proposal_store.reject

        self.store_vectors = self.vector_store.save
        self.vectors = self.vector_store.of_model

        interactions = self.interaction_store
        self.record_interaction = interactions.record
        self.interactions = interactions.recent
        self.request_log = interactions.request_log
        self.interaction_item_ids = interactions.item_ids
        self.record_feedback = self.feedback_store.record
        self.feedback = self.feedback_store.of

        self.setting = self.setting_store.get
        self.settings = self.setting_store.all
        self.set_setting = self.setting_store.set

        self.add_rule = self.rule_store.add
        self.rules = self.rule_store.enabled
        self.remove_rule = self.rule_store.remove

        self.prefix_state = self.prefix_store.get
        self.save_prefix_state = self.prefix_store.save

    @property
    def name(self) -> str:
        rows = self.store.query("SELECT name FROM profile WHERE id = 1")
        return str(rows[0][0]) if rows else ""

    def pinned_texts(self) -> list[str]:
        return [text for _, text in self.memory_store.pinned()]
