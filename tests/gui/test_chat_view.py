"""The chat view and the conversations sidebar as widgets (offscreen, no model)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from lampdesk.ui.chat_view import ChatView, code_blocks
from lampdesk.ui.threads_sidebar import ThreadsSidebar, day_label

pytestmark = [pytest.mark.gui]


def result(interaction_id: int, answer: str, **extra: object) -> dict[str, object]:
    return {"interaction_id": interaction_id, "answer": answer, "stopped_by": "stop", **extra}


def shown(widget: QWidget) -> bool:
    """Not hidden by the code (the offscreen window shows children lazily)."""
    return not widget.isHidden()


def make_view(qtbot: QtBot) -> ChatView:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    return view


def list_numbers(view: ChatView, index: int) -> list[int]:
    document = view.messages[index].body.document()
    numbers = []
    block = document.begin()
    while block.isValid():
        if block.textList() is not None:
            numbers.append(block.textList().itemNumber(block) + 1)
        block = block.next()
    return numbers


def test_a_list_in_one_answer_does_not_number_the_next_message(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.add_question("Three fruits?")
    view.start_answer()
    view.finish_answer(result(1, "1. apple\n2. pear\n3. plum"))
    view.add_question("And two vegetables?")
    view.start_answer()
    view.finish_answer(result(2, "Here:\n\n1. leek\n2. kale"))
    assert list_numbers(view, 1) == [1, 2, 3]
    assert list_numbers(view, 2) == []  # the question is not item 4
    assert list_numbers(view, 3) == [1, 2]
    assert "You: And two vegetables?" in view.toPlainText()


def test_copy_and_code_blocks(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    answer = "Run this:\n\n```python\nprint('hi')\n```\n"
    view.add_question("How?")
    view.start_answer()
    message = view.finish_answer(result(5, answer))
    assert message is not None
    message.copy_button.click()
    assert QGuiApplication.clipboard().text() == answer
    assert code_blocks(answer) == ["print('hi')"]
    (copy_code,) = [
        message.code_row.itemAt(i).widget()
        for i in range(message.code_row.count())
        if message.code_row.itemAt(i).widget() is not None
    ]
    copy_code.click()
    assert QGuiApplication.clipboard().text() == "print('hi')"
    block = message.body.document().begin()
    while block.isValid() and "print" not in block.text():
        block = block.next()
    fragment = block.begin().fragment()
    assert fragment.charFormat().fontFixedPitch() or block.blockFormat().nonBreakableLines()


def test_continue_shows_only_when_the_length_limit_stopped_the_answer(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.add_question("Tell a story.")
    view.start_answer()
    message = view.finish_answer(result(1, "Once upon", stopped_by="length", max_tokens=3))
    assert message is not None
    assert shown(message.continue_button) and "length limit (3 tokens)" in message.note.text()
    with qtbot.waitSignal(view.continue_requested, timeout=5_000):
        message.continue_button.click()
    view.add_question("Another?")
    view.start_answer()
    done = view.finish_answer(result(2, "Done."))
    assert done is not None and not shown(done.continue_button)
    assert not shown(message.continue_button)  # only the last answer goes on


def test_regenerate_and_edit_belong_to_the_last_exchange(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    for n in (1, 2):
        view.add_question(f"Question {n}")
        view.start_answer()
        view.finish_answer(result(n, f"Answer {n}"))
    first_q, first_a, last_q, last_a = view.messages
    assert not shown(first_a.regenerate_button) and shown(last_a.regenerate_button)
    assert not shown(first_q.edit_button) and shown(last_q.edit_button)
    with qtbot.waitSignal(view.regenerate_requested, timeout=5_000):
        last_a.regenerate_button.click()
    last_q.edit_button.click()
    assert shown(last_q.editor) and last_q.editor.toPlainText() == "Question 2"
    last_q.editor.setPlainText("Question 2, better")
    with qtbot.waitSignal(view.resend_requested, timeout=5_000) as sent:
        last_q.resend_button.click()
    assert sent.args == ["Question 2, better"]
    view.drop_last_exchange(keep_question=False)
    assert [m.text for m in view.messages] == ["Question 1", "Answer 1"]
    assert shown(view.messages[1].regenerate_button)


def test_feedback_state_belongs_to_each_message(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    for n in (1, 2):
        view.add_question(f"Q{n}")
        view.start_answer()
        view.finish_answer(result(n, f"A{n}"))
    first, second = view.messages[1], view.messages[3]
    with qtbot.waitSignal(view.feedback_requested, timeout=5_000) as asked:
        first.up.click()
    assert asked.args == [1, "up"]
    assert not first.up.isChecked()  # painted once the worker saved it
    view.show_reaction(1, "up")
    view.show_reaction(2, "down")
    assert first.up.isChecked() and not first.down.isChecked()
    assert second.down.isChecked() and not second.up.isChecked()


def test_view_follows_a_streaming_answer_unless_scrolled_up(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    bar = view.verticalScrollBar()
    for n in range(6):
        view.add_question(f"Question {n}")
        view.start_answer()
        view.finish_answer(result(n + 1, "line\n\n" * 5))
    view.add_question("Long one?")
    view.start_answer()
    text = ""
    for _ in range(10):
        text += "more words here\n\n"
        view.stream(text)
        qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5_000)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=5_000)
    bar.setValue(0)  # the user scrolls up to read
    assert not view.following
    before = bar.maximum()
    view.stream(text + "even more\n\n" * 10)
    qtbot.waitUntil(lambda: bar.maximum() > before, timeout=5_000)
    assert bar.value() == 0
    bar.setValue(bar.maximum())  # back at the end: following again
    view.stream(text + "even more\n\n" * 20)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > before, timeout=5_000)


THREADS = [
    {
        "id": 3,
        "title": "Rome",
        "model": "m",
        "updated_at": datetime.now(UTC).isoformat(),
        "turns": 2,
    },
    {
        "id": 1,
        "title": "Pasta",
        "model": "m",
        "updated_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
        "turns": 1,
    },
]


def test_sidebar_groups_by_day_switches_and_deletes_with_undo(qtbot: QtBot) -> None:
    sidebar = ThreadsSidebar()
    qtbot.addWidget(sidebar)
    sidebar.show_threads(THREADS)
    texts = [sidebar.list.item(i).text() for i in range(sidebar.list.count())]
    assert texts[0] == "Today" and texts[1] == "Rome" and texts[3] == "Pasta"
    assert sidebar.thread_ids() == [3, 1]
    with qtbot.waitSignal(sidebar.thread_selected, timeout=5_000) as chosen:
        sidebar.select(1)
    assert chosen.args == [1]
    with qtbot.assertNotEmitted(sidebar.delete_requested):
        sidebar.delete(1)
        assert sidebar.thread_ids() == [3] and sidebar.undo_button.isVisibleTo(sidebar)
        sidebar.undo()
    assert sidebar.thread_ids() == [3, 1]
    sidebar.delete(1)
    with (
        qtbot.waitSignal(sidebar.delete_requested, timeout=5_000) as deleted,
        qtbot.waitSignal(sidebar.new_chat_requested, timeout=5_000),
    ):
        sidebar.new_chat.click()
    assert deleted.args == [1]


def test_day_labels() -> None:
    noon = datetime(2026, 3, 5, 12, tzinfo=UTC)
    local = noon.astimezone().date()
    assert day_label(noon.isoformat(), local) == "Today"
    assert day_label(noon.isoformat(), local + timedelta(days=1)) == "Yesterday"
    assert day_label("2020-01-02T12:00:00+00:00", local).endswith("2020")


def test_quick_ask_has_copy_and_open_in_window(qtbot: QtBot) -> None:
    from lampdesk.ui.quick_ask import QuickAsk

    popup = QuickAsk()
    qtbot.addWidget(popup)
    popup.show_text("Lentil soup.")
    popup.copy_button.click()
    assert QGuiApplication.clipboard().text() == "Lentil soup."
    with qtbot.waitSignal(popup.open_in_window, timeout=5_000):
        popup.open_button.click()


def test_hotkey_text_is_parsed_and_bad_keys_are_named() -> None:
    from lampdesk.ui import hotkey

    assert hotkey.parse("Ctrl+Shift+Space") == (["ctrl", "shift"], "Space")
    with pytest.raises(hotkey.HotkeyError, match="Hyper"):
        hotkey.parse("Hyper+K")
    with pytest.raises(hotkey.HotkeyError, match="empty"):
        hotkey.parse(" + ")
