"""A system-wide hotkey for quick ask, where the platform allows a program to take one.

On X11 the key is grabbed on the root window with python-xlib's ``XGrabKey`` (on its own
display connection, in its own thread), so it reaches LampDesk whichever window has focus; the
grab is made for every combination of Caps Lock and Num Lock, which X11 counts as modifiers. A key
another program holds already (``BadAccess``) is reported, not fatal. Wayland gives no program a
global key, and macOS and Windows need their own APIs (not built): there, the tray's "Quick ask…"
and the in-window shortcut work (see the README).
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

from lampdesk.ui.qt import QObject, Signal

#: Where the hotkey is kept (the window settings file).
HOTKEY_SETTING = "quick_ask_hotkey"
DEFAULT_HOTKEY = "Ctrl+Shift+Space"
_MODIFIERS = {"ctrl": "ControlMask", "shift": "ShiftMask", "alt": "Mod1Mask", "super": "Mod4Mask"}


class HotkeyError(Exception):
    """The hotkey could not be taken (no X11, an unknown key, or another program has it)."""


def parse(text: str) -> tuple[list[str], str]:
    """``"Ctrl+Shift+Space"`` -> (["ctrl", "shift"], "space")."""
    parts = [p.strip() for p in text.split("+") if p.strip()]
    if not parts:
        raise HotkeyError("The hotkey is empty.")
    *mods, key = parts
    unknown = [m for m in mods if m.lower() not in _MODIFIERS]
    if unknown:
        raise HotkeyError(f"Unknown modifier {unknown[0]!r}: use Ctrl, Shift, Alt or Super.")
    return [m.lower() for m in mods], key


def available() -> bool:
    """Whether a global key can be grabbed here (an X11 display, not a Wayland session)."""
    return bool(os.environ.get("DISPLAY")) and os.environ.get("XDG_SESSION_TYPE") != "wayland"


class GlobalHotkey(QObject):
    """Emits :attr:`pressed` (queued to the GUI thread) when the hotkey is pressed anywhere."""

    pressed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.hotkey = ""

    def start(self, hotkey: str) -> None:
        """Grab *hotkey* (replacing any earlier one); raise :class:`HotkeyError`."""
        self.stop()
        if not available():
            raise HotkeyError(
                "No X11 display: a system-wide hotkey needs the desktop's own shortcut settings."
            )
        from Xlib import XK, X, display, error

        modifiers, key = parse(hotkey)
        try:
            conn = display.Display()
        except Exception as exc:  # Xlib raises several kinds for a display it cannot open
            raise HotkeyError(f"Cannot open the X display: {exc}") from None
        keysym = XK.string_to_keysym(key) or XK.string_to_keysym(key.lower())
        keycode = conn.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            conn.close()
            raise HotkeyError(f"Unknown key {key!r}.")
        mask = 0
        for name in modifiers:
            mask |= getattr(X, _MODIFIERS[name])
        root = conn.screen().root
        catcher = error.CatchError(error.BadAccess)
        for locks in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):
            root.grab_key(
                keycode, mask | locks, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher
            )
        conn.sync()
        if catcher.get_error() is not None:
            conn.close()
            raise HotkeyError(f"{hotkey} is already taken by another program: choose another.")
        self.hotkey = hotkey
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._listen, args=(conn, keycode, self._stop), name="lampdesk-hotkey",
            daemon=True,
        )  # fmt: skip
        self._thread.start()

    def _listen(self, conn: object, keycode: int, stop: threading.Event) -> None:
        from Xlib import X
        from Xlib.display import Display

        assert isinstance(conn, Display)
        try:
            while not stop.is_set():
                # Wake up now and then to see whether to stop; the key itself wakes us at once.
                readable, _, _ = select.select([conn.fileno()], [], [], 0.25)
                if not readable and not conn.pending_events():
                    continue
                while conn.pending_events():
                    event = conn.next_event()
                    if event.type == X.KeyPress and event.detail == keycode:
                        self.pressed.emit()
        finally:
            conn.close()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.hotkey = ""


def install(on_press: Callable[[], None], hotkey: str) -> tuple[GlobalHotkey, str | None]:
    """A started hotkey and ``None``, or a stopped one and why it could not start."""
    grabber = GlobalHotkey()
    grabber.pressed.connect(on_press)
    try:
        grabber.start(hotkey)
    except HotkeyError as exc:
        return grabber, str(exc)
    return grabber, None
