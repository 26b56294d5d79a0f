"""Run under a real X server by test_hotkey.py: another window has focus; the global hotkey
must open the quick-ask popup. Prints READY once the key is grabbed, then one JSON line."""

from __future__ import annotations

import json
import sys

from PySide6.QtWidgets import QApplication, QLabel

from lampdesk.ui import hotkey
from lampdesk.ui.quick_ask import QuickAsk

app = QApplication(sys.argv[:1])
other = QLabel("another program's window")
other.setWindowTitle("other-window")
other.resize(300, 100)
other.show()
popup = QuickAsk()
grabber, problem = hotkey.install(popup.popup, sys.argv[1])
if problem is not None:
    print(json.dumps({"error": problem}), flush=True)
    sys.exit(1)


def opened() -> None:
    print(json.dumps({"popup_visible": popup.isVisible(), "hotkey": grabber.hotkey}), flush=True)
    grabber.stop()
    app.quit()


grabber.pressed.connect(opened)  # after popup.popup: the popup is shown first
print("READY", flush=True)
app.exec()
