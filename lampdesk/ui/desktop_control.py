"""The window on the desktop: the tray icon, the quick-ask popup and its system-wide hotkey.

It also keeps the window settings file (close to the tray, the hotkey), which only the window
reads and writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lampdesk.paths import DataPaths, atomic_write
from lampdesk.ui import hotkey
from lampdesk.ui.chat_control import ChatControl
from lampdesk.ui.qt import (
    QApplication,
    QCheckBox,
    QKeySequence,
    QLabel,
    QMainWindow,
    QObject,
    QShortcut,
    Slot,
)
from lampdesk.ui.quick_ask import QuickAsk, Tray
from lampdesk.ui.thread_work import NEW_THREAD
from lampdesk.ui.threads_control import ThreadsControl

QUICK_ASK_SHORTCUT = "Ctrl+Shift+Space"


class DesktopControl(QObject):
    """Tray, quick ask and hotkey; the window settings that go with them."""

    def __init__(
        self,
        window: QMainWindow,
        paths: DataPaths,
        chat: ChatControl,
        threads: ThreadsControl,
        on_quit: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window, self._paths = window, paths
        # Quick ask asks through the chat; "open in window" goes on in a conversation.
        self.chat, self.threads = chat, threads
        self.quick_ask = QuickAsk(window)
        self.quick_ask.asked.connect(self._on_quick_ask)
        self.quick_ask.open_in_window.connect(self._quick_ask_in_window)
        self.tray = Tray(window, self.quick_ask, on_quit)
        self.close_to_tray = QCheckBox("Keep running in the tray when closed")
        self.close_to_tray.setVisible(self.tray.available)
        self.close_to_tray.setChecked(
            self.tray.available and self.window_settings().get("close_to_tray", False)
        )
        self.close_to_tray.toggled.connect(self._save_close_to_tray)
        self.tray_note = QLabel(
            f"No system tray here: LampDesk runs in this window; quick ask is {QUICK_ASK_SHORTCUT}."
        )
        self.tray_note.setVisible(not self.tray.available)
        QShortcut(QKeySequence(QUICK_ASK_SHORTCUT), window, self.quick_ask.popup)
        self.hotkey: hotkey.GlobalHotkey | None = None
        if QApplication.platformName() == "xcb":  # a real X11 display (not offscreen tests)
            self.set_hotkey(self.window_settings().get(hotkey.HOTKEY_SETTING) or QUICK_ASK_SHORTCUT)

    @Slot(str)
    def _on_quick_ask(self, question: str) -> None:
        self.chat.ask_in_popup(question, self.quick_ask)

    @Slot()
    def _quick_ask_in_window(self) -> None:
        """Go on with the popup's conversation in the window."""
        self._window.show()
        self._window.raise_()
        self._window.activateWindow()
        if self.chat.quick_thread > 0 and self.chat.idle():
            self.quick_ask.hide()
            self.threads.open_thread(self.chat.quick_thread)
            self.chat.quick_thread = NEW_THREAD  # the popup starts afresh next time

    def set_hotkey(self, keys: str) -> str:
        """Take *keys* as the system-wide quick-ask hotkey; what happened, in words. When it
        cannot be taken, the hotkey grabbed before (if any) is grabbed again and kept."""
        if self.hotkey is None:
            self.hotkey, problem = hotkey.install(self.quick_ask.popup, keys)
        else:
            previous = self.hotkey.hotkey
            try:
                self.hotkey.start(keys)
                problem = None
            except hotkey.HotkeyError as exc:
                problem = str(exc)
                if previous and previous != keys:
                    try:
                        self.hotkey.start(previous)
                        return f"{keys} cannot be the hotkey: {problem} {previous} still is."
                    except hotkey.HotkeyError:
                        pass
        if problem is None:
            self._save_window_setting(hotkey.HOTKEY_SETTING, keys)
            return f"Quick ask from anywhere: {keys}."
        return f"The system-wide hotkey is off: {problem}"

    def current_hotkey(self) -> str:
        """The hotkey grabbed now, else the one kept in the window settings, else the default."""
        if self.hotkey is not None and self.hotkey.hotkey:
            return self.hotkey.hotkey
        return str(self.window_settings().get(hotkey.HOTKEY_SETTING) or QUICK_ASK_SHORTCUT)

    def keeps_running(self) -> bool:
        """Closing the window hides it in the tray (the user's choice, where there is one)."""
        return self.close_to_tray.isChecked() and self.tray.available

    def window_settings(self) -> dict[str, Any]:
        try:
            data = json.loads(self._paths.window_settings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_window_setting(self, key: str, value: object) -> None:
        self._paths.ensure_root()
        settings = {**self.window_settings(), key: value}
        atomic_write(self._paths.window_settings_file, json.dumps(settings))

    @Slot(bool)
    def _save_close_to_tray(self, on: bool) -> None:
        self._save_window_setting("close_to_tray", on)

    def shutdown(self) -> None:
        self.tray.hide()
        if self.hotkey is not None:
            self.hotkey.stop()
