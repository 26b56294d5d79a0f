"""Named, ordered schema migrations. Append only: never edit or reorder a released one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Migration(NamedTuple):
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_initial",
        """
        CREATE TABLE profile (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            uuid TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE attributes (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'fact',
            source TEXT NOT NULL DEFAULT 'user',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            weight REAL NOT NULL DEFAULT 1.0,
            pinned INTEGER NOT NULL DEFAULT 0
        );
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            text,
            content='memories',
            content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER memories_au AFTER UPDATE OF text ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TABLE memory_vectors (
            memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            personalized INTEGER NOT NULL,
            model TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            ttft_ms REAL,
            total_ms REAL NOT NULL,
            cancelled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE interaction_items (
            interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
            memory_id INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            score REAL NOT NULL,
            why TEXT NOT NULL,
            PRIMARY KEY (interaction_id, memory_id)
        );
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT,
            created_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0003_retrieval_provenance",
        # Provenance of each item (the turns it came from, the day it happened), a searchable
        # context that is never shown (speaker, neighbouring turns), a second FTS5 index over
        # text and context, and an outbox the triggers fill so the dense index learns about
        # every insert, edit and delete without scanning the whole profile.
        """
        ALTER TABLE memories ADD COLUMN happened_at TEXT;
        ALTER TABLE memories ADD COLUMN turn_ids TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE memories ADD COLUMN context TEXT NOT NULL DEFAULT '';
        CREATE INDEX memories_source ON memories(source);
        CREATE VIRTUAL TABLE retrieval_fts USING fts5(
            text,
            context,
            content='memories',
            content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        INSERT INTO retrieval_fts(retrieval_fts) VALUES ('rebuild');
        CREATE TABLE retrieval_outbox (
            memory_id INTEGER PRIMARY KEY,
            op TEXT NOT NULL CHECK (op IN ('upsert', 'delete'))
        );
        INSERT INTO retrieval_outbox(memory_id, op)
            SELECT id, 'upsert' FROM memories
            WHERE id NOT IN (SELECT memory_id FROM memory_vectors);
        CREATE TRIGGER retrieval_ai AFTER INSERT ON memories BEGIN
            INSERT INTO retrieval_fts(rowid, text, context)
                VALUES (new.id, new.text, new.context);
            INSERT OR REPLACE INTO retrieval_outbox(memory_id, op) VALUES (new.id, 'upsert');
        END;
        CREATE TRIGGER retrieval_ad AFTER DELETE ON memories BEGIN
            INSERT INTO retrieval_fts(retrieval_fts, rowid, text, context)
                VALUES ('delete', old.id, old.text, old.context);
            INSERT OR REPLACE INTO retrieval_outbox(memory_id, op) VALUES (old.id, 'delete');
        END;
        CREATE TRIGGER retrieval_au AFTER UPDATE OF text, context ON memories BEGIN
            INSERT INTO retrieval_fts(retrieval_fts, rowid, text, context)
                VALUES ('delete', old.id, old.text, old.context);
            INSERT INTO retrieval_fts(rowid, text, context) VALUES (new.id, new.text, new.context);
            DELETE FROM memory_vectors WHERE memory_id = new.id;
            INSERT OR REPLACE INTO retrieval_outbox(memory_id, op) VALUES (new.id, 'upsert');
        END;
        """,
    ),
    Migration(
        "0004_prompting_rules_prefix_log",
        """
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            blocked_terms TEXT NOT NULL DEFAULT '[]',
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE prefix_states (
            model TEXT NOT NULL,
            prefix_sha TEXT NOT NULL,
            tokens BLOB NOT NULL,
            state BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, prefix_sha)
        );
        ALTER TABLE interactions ADD COLUMN request_id TEXT;
        ALTER TABLE interactions ADD COLUMN reused_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE interactions ADD COLUMN tok_per_s REAL;
        ALTER TABLE interactions ADD COLUMN stopped_by TEXT;
        ALTER TABLE interactions ADD COLUMN cut TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE interactions ADD COLUMN rules_applied TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    Migration(
        "0005_memory_review",
        # The memory loop: a memory's topic (so a newer statement on the same topic updates it),
        # when feedback last changed its weight (stale weights fade back), the exchange it was
        # learned from, its earlier versions, and changes waiting for the user ("ask me first").
        """
        ALTER TABLE memories ADD COLUMN topic TEXT;
        ALTER TABLE memories ADD COLUMN feedback_at TEXT;
        CREATE TABLE memory_origins (
            memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
            interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE
        );
        CREATE TABLE memory_history (
            id INTEGER PRIMARY KEY,
            memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            reason TEXT NOT NULL,
            replaced_at TEXT NOT NULL
        );
        CREATE TABLE memory_proposals (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN ('add', 'update', 'delete')),
            memory_id INTEGER REFERENCES memories(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            topic TEXT,
            interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0006_sources",
        # Sources the profile took in (a folder, a chat export, a LoCoMo file), the parts of each
        # (a file, or a conversation of an export) with a fingerprint so a rescan replaces only
        # what changed, and where each item and each imported interaction came from. Removing a
        # source deletes its memories and interactions explicitly, so the memories' triggers
        # reach FTS and the retrieval outbox (and so Chroma); the cascades only tidy the links.
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            label TEXT NOT NULL,
            added_at TEXT NOT NULL,
            scanned_at TEXT NOT NULL
        );
        CREATE TABLE source_files (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            path TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            fingerprint TEXT NOT NULL,
            modified_at TEXT,
            scanned_at TEXT NOT NULL,
            UNIQUE (source_id, key)
        );
        CREATE TABLE source_items (
            memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
            file_id INTEGER NOT NULL REFERENCES source_files(id) ON DELETE CASCADE,
            position TEXT NOT NULL
        );
        CREATE INDEX source_items_file ON source_items(file_id);
        CREATE TABLE source_interactions (
            interaction_id INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
            file_id INTEGER NOT NULL REFERENCES source_files(id) ON DELETE CASCADE,
            position TEXT NOT NULL
        );
        CREATE INDEX source_interactions_file ON source_interactions(file_id);
        """,
    ),
    Migration(
        "0008_memory_learning",
        # What the memory loop learns: a memory's constraint kind ("diet", "allergy", "medical";
        # for the constraint enforcement), and the statements the user forgot or rejected, held
        # back for the rest of their conversation: a keyed fingerprint, never their text.
        """
        ALTER TABLE memories ADD COLUMN constraint_kind TEXT;
        CREATE TABLE memory_refusals (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            interaction_id INTEGER,
            refused_at TEXT NOT NULL,
            seen_at TEXT NOT NULL
        );
        CREATE INDEX memory_refusals_fingerprint ON memory_refusals(fingerprint);
        """,
    ),
    Migration(
        "0009_conversations",
        # Threads of exchanges: each interaction belongs to at most one thread (plain exchanges
        # from before, and imported ones, belong to none), and a full-text index over questions
        # and answers so the history can be searched inside the encrypted database. Deleting a
        # thread deletes its interactions; the triggers take their text out of the index.
        """
        CREATE TABLE threads (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE thread_turns (
            interaction_id INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
            thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE
        );
        CREATE INDEX thread_turns_thread ON thread_turns(thread_id, interaction_id);
        CREATE VIRTUAL TABLE interactions_fts USING fts5(
            question,
            answer,
            content='interactions',
            content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        INSERT INTO interactions_fts(interactions_fts) VALUES ('rebuild');
        CREATE TRIGGER interactions_fts_ai AFTER INSERT ON interactions BEGIN
            INSERT INTO interactions_fts(rowid, question, answer)
                VALUES (new.id, new.question, new.answer);
        END;
        CREATE TRIGGER interactions_fts_ad AFTER DELETE ON interactions BEGIN
            INSERT INTO interactions_fts(interactions_fts, rowid, question, answer)
                VALUES ('delete', old.id, old.question, old.answer);
        END;
        CREATE TRIGGER interactions_fts_au AFTER UPDATE OF question, answer ON interactions BEGIN
            INSERT INTO interactions_fts(interactions_fts, rowid, question, answer)
                VALUES ('delete', old.id, old.question, old.answer);
            INSERT INTO interactions_fts(rowid, question, answer)
                VALUES (new.id, new.question, new.answer);
        END;
        """,
    ),
)


def newer_schema(
    applied: Sequence[str], migrations: Sequence[Migration] = MIGRATIONS
) -> str | None:
    """The last of *applied* that *migrations* does not hold (a newer LampDesk wrote it), if any."""
    known = {m.name for m in migrations}
    unknown = [name for name in applied if name not in known]
    return unknown[-1] if unknown else None


def history_matches(applied: Sequence[str], migrations: Sequence[Migration] = MIGRATIONS) -> bool:
    """Whether *applied* is the start of *migrations*, in order (so the rest can be applied)."""
    return list(applied) == [m.name for m in migrations][: len(applied)]
