"""Conversations: threads of exchanges, stored encrypted in the profile, asked within.

A thread is a list of interactions (the ``thread_turns`` table of migration 0009) with a title
(its first question, editable), its dates and the model that last answered in it. A follow-up
is answered with the thread's earlier turns in the prompt, after the profile and before the
items retrieved for it (see :class:`lampdesk.prompting.builder.PromptBuilder`), so the stable
prefix still comes first and the previous turn's evaluated state is a prefix of the next
prompt; the token budget drops the oldest turns first and records the cut. Retrieval for a
follow-up searches the question together with the thread's recent turns.

A temporary chat (:class:`TemporaryChat`) keeps its turns in memory only: it uses the profile,
but nothing of it is stored and the memory learns nothing from it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lampdesk.errors import UsageError
from lampdesk.inference.engine import GenerationSettings
from lampdesk.prompting.builder import HistoryTurn
from lampdesk.retrieval.sparse import query_terms
from lampdesk.vault.store import utc_now

if TYPE_CHECKING:
    from lampdesk.assistant import AskResult, Assistant
    from lampdesk.profile import Profile

#: A new thread's title: its first question, cut to about this many characters.
TITLE_CHARS = 60
#: Earlier turns whose text joins the question in the retrieval query of a follow-up.
SEARCH_TURNS = 2
#: Characters of the last answer that join it.
SEARCH_ANSWER_CHARS = 300
EXPORT_FORMATS = ("markdown", "json")
#: What Continue asks, in the thread, after an answer the length limit stopped.
CONTINUE_QUESTION = "Continue your last answer from where it stopped."


@dataclass(frozen=True)
class Thread:
    id: int
    title: str
    model: str
    created_at: str
    updated_at: str
    turns: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    interaction_id: int
    question: str
    answer: str
    created_at: str
    model: str
    stopped_by: str
    cancelled: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchHit:
    thread_id: int
    title: str
    interaction_id: int
    snippet: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TemporaryChat:
    """A chat that is never stored: its turns live here, in memory, until it is dropped."""

    turns: list[HistoryTurn] = field(default_factory=list)


def title_for(question: str) -> str:
    """A thread's first title: its first question on one line, cut at a word."""
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0] or text[:TITLE_CHARS]
    return cut + "…"


def search_text(question: str, history: Sequence[HistoryTurn]) -> str | None:
    """What retrieval searches for a follow-up: the question first (the sparse query keeps
    the first terms), then the recent turns' questions and the last answer's start."""
    if not history:
        return None
    recent = [turn.question for turn in history[-SEARCH_TURNS:]]
    return "\n".join([question, *reversed(recent), history[-1].answer[:SEARCH_ANSWER_CHARS]])


def history_from_messages(messages: Sequence[Any]) -> list[HistoryTurn]:
    """An API request's earlier user/assistant messages as a thread's turns (everything
    before the last user message; system and tool messages are not the user's thread)."""
    chat = [(m.role, m.content) for m in messages if m.role in ("user", "assistant")]
    last_user = max((i for i, (role, _) in enumerate(chat) if role == "user"), default=-1)
    turns: list[HistoryTurn] = []
    pending: str | None = None
    for role, content in chat[: max(last_user, 0)]:
        if role == "user":
            pending = content if pending is None else f"{pending}\n\n{content}"
        elif pending is not None:
            turns.append(HistoryTurn(pending, content))
            pending = None
    return turns


class Conversations:
    """The profile's threads: the one owner of the ``threads`` and ``thread_turns`` tables."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.store = profile.store

    # -- threads -----------------------------------------------------------------------------

    def create(self, title: str = "", model: str = "") -> Thread:
        now = utc_now()
        with self.store.transaction():
            thread_id = self.store.execute(
                "INSERT INTO threads(title, model, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (title.strip(), model, now, now),
            )
        return Thread(thread_id, title.strip(), model, now, now, 0)

    def threads(self, limit: int = 500) -> list[Thread]:
        """Newest (last answered in) first."""
        rows = self.store.query(
            "SELECT t.id, t.title, t.model, t.created_at, t.updated_at, count(tt.interaction_id) "
            "FROM threads t LEFT JOIN thread_turns tt ON tt.thread_id = t.id "
            "GROUP BY t.id ORDER BY t.updated_at DESC, t.id DESC LIMIT ?",
            (limit,),
        )
        return [
            Thread(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5])) for r in rows
        ]

    def thread(self, thread_id: int) -> Thread:
        found = [t for t in self.threads(limit=-1) if t.id == thread_id]
        if not found:
            raise UsageError(
                f"There is no conversation {thread_id} ('lampdesk thread list' shows them)."
            )
        return found[0]

    def rename(self, thread_id: int, title: str) -> Thread:
        title = " ".join(title.split())
        if not title:
            raise UsageError("A conversation's title cannot be empty.")
        self.thread(thread_id)
        with self.store.transaction():
            self.store.execute("UPDATE threads SET title = ? WHERE id = ?", (title, thread_id))
        return self.thread(thread_id)

    def delete(self, thread_id: int) -> int:
        """Delete a thread and its exchanges: their rows, their text in the full-text index
        (triggers, then an ``optimize`` so no index segment keeps a deleted word) and any
        saved prompt state that may hold them. Memories learned from them stay (they are
        the profile's, shown and forgotten in the memory view). Returns the turns deleted."""
        self.thread(thread_id)
        with self.store.transaction():
            ids = [
                int(r[0])
                for r in self.store.query(
                    "SELECT interaction_id FROM thread_turns WHERE thread_id = ?", (thread_id,)
                )
            ]
            self.profile.interaction_store.delete(ids)
            self.store.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
            self.profile.prefix_store.clear()
            self.profile.interaction_store.optimize_search()
        return len(ids)

    # -- turns -------------------------------------------------------------------------------

    def turns(self, thread_id: int) -> list[Turn]:
        ids = [
            int(r[0])
            for r in self.store.query(
                "SELECT interaction_id FROM thread_turns WHERE thread_id = ?", (thread_id,)
            )
        ]
        return [Turn(*row) for row in self.profile.interaction_store.exchanges(ids)]

    def history(self, thread_id: int) -> list[HistoryTurn]:
        """The thread's turns as they go back into a prompt, each with the items it used."""
        turns = self.turns(thread_id)
        history: list[HistoryTurn] = []
        for turn in turns:
            ids = self.profile.interaction_item_ids(turn.interaction_id)
            texts = {m.id: m.text for m in self.profile.memories(ids)}
            items = tuple((i, texts[i]) for i in ids if i in texts)
            history.append(HistoryTurn(turn.question, turn.answer, items, turn.interaction_id))
        return history

    def add_turn(self, thread_id: int, result: AskResult) -> None:
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO thread_turns(interaction_id, thread_id) VALUES (?, ?)",
                (result.interaction_id, thread_id),
            )
            self.store.execute(
                "UPDATE threads SET updated_at = ?, model = ?, "
                "title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                (utc_now(), result.model, title_for(result.question), thread_id),
            )

    def remove_last_turn(self, thread_id: int) -> Turn | None:
        """Take back the thread's last exchange (for Regenerate and Edit-and-resend)."""
        turns = self.turns(thread_id)
        if not turns:
            return None
        with self.store.transaction():
            self.profile.interaction_store.delete([turns[-1].interaction_id])
        return turns[-1]

    def thread_of(self, interaction_id: int) -> int | None:
        rows = self.store.query(
            "SELECT thread_id FROM thread_turns WHERE interaction_id = ?", (interaction_id,)
        )
        return int(rows[0][0]) if rows else None

    # -- search and export -------------------------------------------------------------------

    def search(self, words: str, limit: int = 20) -> list[SearchHit]:
        """Turns whose question or answer hold every word (FTS5, stemmed), best first."""
        terms = query_terms(words)
        if not terms:
            raise UsageError("Give a word to search for.")
        expression = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rows = self.store.query(
            "SELECT t.id, t.title, f.rowid, "
            "snippet(interactions_fts, -1, '[', ']', '…', 12) "
            "FROM interactions_fts f JOIN thread_turns tt ON tt.interaction_id = f.rowid "
            "JOIN threads t ON t.id = tt.thread_id "
            "WHERE interactions_fts MATCH ? ORDER BY f.rank LIMIT ?",
            (expression, limit),
        )
        return [SearchHit(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    def export(self, thread_id: int, fmt: str = "markdown") -> str:
        if fmt not in EXPORT_FORMATS:
            raise UsageError(f"Unknown format {fmt!r}: use {' or '.join(EXPORT_FORMATS)}.")
        thread, turns = self.thread(thread_id), self.turns(thread_id)
        if fmt == "json":
            data = {**thread.as_json(), "messages": [t.as_json() for t in turns]}
            return json.dumps(data, ensure_ascii=False, indent=2)
        lines = [f"# {thread.title or 'Conversation'}", ""]
        lines.append(f"_Started {thread.created_at}; model {thread.model or 'unknown'}._")
        for turn in turns:
            lines += ["", "## You", "", turn.question, "", "## LampDesk", "", turn.answer]
            if turn.stopped_by == "length":
                lines += ["", "_(stopped at the answer length limit)_"]
        return "\n".join(lines) + "\n"


@dataclass
class ThreadAnswer:
    result: AskResult
    #: The thread the exchange was stored in (``None`` in a temporary chat).
    thread_id: int | None
    #: Earlier turns in the prompt (after the budget's cut).
    history_turns: int = 0

    def as_json(self) -> dict[str, Any]:
        return {**self.result.as_json(), "thread_id": self.thread_id}


class Chat:
    """Questions asked within threads: the thread's turns in, the exchange recorded in it."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.conversations = Conversations(assistant.profile)

    def ask(
        self,
        question: str,
        *,
        thread_id: int | None = None,
        temporary: TemporaryChat | None = None,
        personalize: bool = True,
        on_chunk: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        settings: GenerationSettings | None = None,
        mode: str | None = None,
    ) -> ThreadAnswer:
        """Answer *question* in thread *thread_id* (``None``: a new thread), or in the
        *temporary* chat (nothing stored, nothing learned); *mode* forces "grounded" or "free"
        (see Assistant.ask)."""
        if temporary is not None:
            history = list(temporary.turns)
        elif thread_id is not None:
            self.conversations.thread(thread_id)
            history = self.conversations.history(thread_id)
        else:
            history = []
        result = self.assistant.ask(
            question,
            personalize=personalize,
            on_chunk=on_chunk,
            cancel=cancel,
            settings=settings,
            mode=mode,
            history=history,
            search_text=search_text(question, history),
            record=temporary is None,
            learn=temporary is None,
        )
        dropped_turns = sum(1 for d in result.dropped if d.get("what") == "turn")
        if temporary is not None:
            items = tuple((i.id, i.text) for i in result.items)
            temporary.turns.append(HistoryTurn(result.question, result.answer, items))
            return ThreadAnswer(result, None, len(history) - dropped_turns)
        if thread_id is None:
            thread_id = self.conversations.create(model=result.model).id
        self.conversations.add_turn(thread_id, result)
        return ThreadAnswer(result, thread_id, len(history) - dropped_turns)

    def regenerate(self, thread_id: int, **options: Any) -> ThreadAnswer:
        """Answer the thread's last question again, in place of its last answer."""
        last = self.conversations.remove_last_turn(thread_id)
        if last is None:
            raise UsageError("This conversation has no answer to regenerate.")
        return self.ask(last.question, thread_id=thread_id, **options)

    def edit_and_resend(self, thread_id: int, question: str, **options: Any) -> ThreadAnswer:
        """Replace the thread's last question (and its answer) with *question*, and ask it."""
        if self.conversations.remove_last_turn(thread_id) is None:
            raise UsageError("This conversation has no question to edit.")
        return self.ask(question, thread_id=thread_id, **options)

    def continue_answer(self, thread_id: int, **options: Any) -> ThreadAnswer:
        """Go on with an answer the length limit stopped: a turn asking to continue it."""
        return self.ask(CONTINUE_QUESTION, thread_id=thread_id, **options)
