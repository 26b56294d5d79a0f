"""Answer settings that apply to the next question, no restart: temperature, answer length and
the system prompt (persona).

The values are the profile's generation settings (``gen.*``, as ``lampdesk settings set``) and
its ``persona`` setting (lampdesk/app.py); the worker validates and stores them, and the
assistant reads them for every question.
"""

from __future__ import annotations

from typing import Any

from lampdesk.inference.engine import GenerationSettings
from lampdesk.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
    Signal,
    Slot,
)

LIMITS = GenerationSettings.LIMITS


class AnswerSettings(QDialog):
    #: {"temperature": "0.3", "max_tokens": "256", "persona": "You are…"} (persona "": the
    #: template's own again)
    save_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Answer settings")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(*LIMITS["temperature"])
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.max_tokens = QSpinBox()
        low, high = LIMITS["max_tokens"]
        self.max_tokens.setRange(int(low), int(high))
        self.max_tokens.setSuffix(" tokens")
        self.persona = QPlainTextEdit()
        self.persona.setPlaceholderText("Empty: the template's own system prompt.")
        self.persona.setTabChangesFocus(True)
        self._persona_shown = ""
        self.message = QLabel("Applies from the next question; no restart.")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Temperature (0: most predictable)", self.temperature)
        form.addRow("Answer length limit", self.max_tokens)
        form.addRow(QLabel("System prompt (who the assistant is, how it answers):"))
        form.addRow(self.persona)
        form.addRow(self.message)
        form.addRow(buttons)

    def show_state(self, state: dict[str, Any]) -> None:
        if "temperature" in state:
            self.temperature.setValue(float(state["temperature"]))
            self.max_tokens.setValue(int(state["max_tokens"]))
        if "persona" in state:
            self._persona_shown = str(state["persona"])
            self.persona.setPlainText(self._persona_shown)
        if state.get("message"):
            self.message.setText(str(state["message"]))

    @Slot()
    def _save(self) -> None:
        changes = {
            "temperature": f"{self.temperature.value():g}",
            "max_tokens": str(self.max_tokens.value()),
        }
        persona = self.persona.toPlainText()
        if persona.strip() != self._persona_shown.strip():  # unchanged: stays the template's
            changes["persona"] = persona
        self.save_requested.emit(changes)
