"""The profile editor: attributes, rules, the prompt template and how memory learns.

Like every screen, it only paints: it asks the assistant worker for the profile's current state
(``refresh_requested``), sends changes (``save_requested``), and shows what the worker answers,
including validation messages next to what they are about.
"""

from __future__ import annotations

from typing import Any

from lampdesk.ui.qt import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
    Slot,
)

ERROR_STYLE = "color: #b00020"


class ProfileEditor(QDialog):
    #: Ask the worker for the profile's state.
    refresh_requested = Signal()
    #: Send changes: {"attributes": {...}, "rules_add": [...], "rules_remove": [...],
    #: "template": str | None, "memory": {...}}.
    save_requested = Signal(dict)
    #: Emitted after the worker's answer has been painted (saved, or a message shown).
    shown_state = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Profile")
        self.resize(640, 520)
        self._removed_rules: list[int] = []
        self._default_template = ""
        self._loaded_template = ""
        self._new_rules: list[dict[str, Any]] = []

        self.attributes = QTableWidget(0, 2)
        self.attributes.setHorizontalHeaderLabels(["Attribute", "Value"])
        self.attributes.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        add_attribute = QPushButton("Add")
        add_attribute.clicked.connect(lambda: self.add_attribute("", ""))
        remove_attribute = QPushButton("Remove")
        remove_attribute.clicked.connect(
            lambda: self.attributes.removeRow(self.attributes.currentRow())
        )
        self.attribute_error = QLabel("")
        self.attribute_error.setStyleSheet(ERROR_STYLE)
        attributes_tab = QWidget()
        layout = QVBoxLayout(attributes_tab)
        layout.addWidget(self.attributes, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add_attribute)
        buttons.addWidget(remove_attribute)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.attribute_error)

        self.rules = QListWidget()
        self.new_rule = QLineEdit()
        self.new_rule.setPlaceholderText("A rule LampDesk must follow, e.g. 'Never suggest meat'")
        self.new_terms = QLineEdit()
        self.new_terms.setPlaceholderText("Words never to use, comma-separated (optional)")
        add_rule = QPushButton("Add rule")
        add_rule.clicked.connect(self._add_rule)
        remove_rule = QPushButton("Remove rule")
        remove_rule.clicked.connect(self._remove_rule)
        rules_tab = QWidget()
        rules_layout = QVBoxLayout(rules_tab)
        rules_layout.addWidget(self.rules, 1)
        rules_layout.addWidget(self.new_rule)
        rules_layout.addWidget(self.new_terms)
        rule_buttons = QHBoxLayout()
        rule_buttons.addWidget(add_rule)
        rule_buttons.addWidget(remove_rule)
        rule_buttons.addStretch(1)
        rules_layout.addLayout(rule_buttons)

        self.constraints = QListWidget()
        self.constraints.setWordWrap(True)
        self.constraint_terms = QLineEdit()
        self.constraint_terms.setPlaceholderText(
            "More words to keep out of answers, comma-separated (for the selected constraint, "
            "or a new one)"
        )
        add_terms = QPushButton("Keep these out")
        add_terms.clicked.connect(self._add_constraint_terms)
        constraints_tab = QWidget()
        constraints_layout = QVBoxLayout(constraints_tab)
        explain = QLabel(
            "What every answer keeps to, found in your attributes, memories and rules. "
            "Untick one to switch it off."
        )
        explain.setWordWrap(True)
        constraints_layout.addWidget(explain)
        constraints_layout.addWidget(self.constraints, 1)
        constraints_layout.addWidget(self.constraint_terms)
        constraints_layout.addWidget(add_terms)
        self._constraint_terms: dict[str, list[str]] = {}
        self._constraints_enabled: dict[str, bool] = {}

        self.template = QPlainTextEdit()
        self.template_error = QLabel("")
        self.template_error.setStyleSheet(ERROR_STYLE)
        self.template_error.setWordWrap(True)
        reset = QPushButton("Back to the default template")
        reset.clicked.connect(lambda: self.template.setPlainText(self._default_template))
        template_tab = QWidget()
        template_layout = QVBoxLayout(template_tab)
        template_layout.addWidget(self.template, 1)
        template_layout.addWidget(self.template_error)
        template_layout.addWidget(reset)

        self.memory_enabled = QCheckBox("Learn from my conversations")
        self.ask_first = QCheckBox("Ask me first before remembering anything new")
        self.model_extraction = QCheckBox(
            "Let the model find facts too (slower; small models make mistakes)"
        )
        memory_tab = QWidget()
        memory_layout = QVBoxLayout(memory_tab)
        for box in (self.memory_enabled, self.ask_first, self.model_extraction):
            memory_layout.addWidget(box)
        memory_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(attributes_tab, "About me")
        self.tabs.addTab(rules_tab, "Rules")
        self.tabs.addTab(constraints_tab, "Constraints")
        self.tabs.addTab(template_tab, "Template")
        self.tabs.addTab(memory_tab, "Memory")
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel("")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_button)
        main = QVBoxLayout(self)
        main.addWidget(self.tabs, 1)
        main.addLayout(bottom)

    # -- state from the worker ---------------------------------------------------------------

    def add_attribute(self, key: str, value: str) -> None:
        row = self.attributes.rowCount()
        self.attributes.insertRow(row)
        self.attributes.setItem(row, 0, QTableWidgetItem(key))
        self.attributes.setItem(row, 1, QTableWidgetItem(value))

    @Slot(dict)
    def show_state(self, state: dict[str, Any]) -> None:
        """Paint the profile as the worker read it, or the messages of a refused save."""
        errors = state.get("errors", {})
        self.attribute_error.setText(errors.get("attributes", ""))
        self.template_error.setText(errors.get("template", ""))
        if errors:
            self.status.setText("Not saved: see the messages.")
            self.shown_state.emit()
            return
        self.attributes.setRowCount(0)
        for key, value in state["attributes"].items():
            self.add_attribute(key, value)
        self.rules.clear()
        for rule in state["rules"]:
            blocked = ", ".join(rule["blocked_terms"])
            terms = f"  (never: {blocked})" if blocked else ""
            item = QListWidgetItem(f"{rule['text']}{terms}")
            item.setData(256, rule["id"])
            self.rules.addItem(item)
        self._removed_rules, self._new_rules = [], []
        self._show_constraints(state.get("constraints", []))
        self._default_template = state["default_template"]
        self._loaded_template = state["template"]
        self.template.setPlainText(state["template"])
        self.memory_enabled.setChecked(state["memory"]["enabled"] == "on")
        self.ask_first.setChecked(state["memory"]["ask_first"] == "on")
        self.model_extraction.setChecked(state["memory"]["model_extraction"] == "on")
        self.status.setText("Saved." if state.get("saved") else "")
        self.shown_state.emit()

    # -- changes -----------------------------------------------------------------------------

    def _add_rule(self) -> None:
        text = self.new_rule.text().strip()
        terms = [t.strip() for t in self.new_terms.text().split(",") if t.strip()]
        if not text and not terms:
            return
        self._new_rules.append({"text": text, "blocked_terms": terms})
        self.rules.addItem(QListWidgetItem(f"{text or 'Blocked words'} (new)"))
        self.new_rule.clear()
        self.new_terms.clear()

    def _remove_rule(self) -> None:
        item = self.rules.currentItem()
        if item is None:
            return
        rule_id = item.data(256)
        if rule_id is not None:
            self._removed_rules.append(int(rule_id))
        self.rules.takeItem(self.rules.row(item))

    def _show_constraints(self, constraints: list[dict[str, Any]]) -> None:
        self.constraints.clear()
        self._constraint_terms, self._constraints_enabled = {}, {}
        for c in constraints:
            sample = ", ".join(c["excludes"][:10])
            more = f" +{len(c['excludes']) - 10} more" if len(c["excludes"]) > 10 else ""
            item = QListWidgetItem(
                f"{c['label']}: keeps out {sample}{more}\n    from {'; '.join(c['sources'])}"
            )
            item.setData(256, c["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if c["enabled"] else Qt.CheckState.Unchecked)
            item.setToolTip(", ".join(c["excludes"]))
            self.constraints.addItem(item)
            self._constraints_enabled[c["id"]] = c["enabled"]

    def _add_constraint_terms(self) -> None:
        terms = [t.strip() for t in self.constraint_terms.text().split(",") if t.strip()]
        if not terms:
            return
        item = self.constraints.currentItem()
        constraint_id = str(item.data(256)) if item is not None else "my exclusions"
        self._constraint_terms.setdefault(constraint_id, []).extend(terms)
        if item is None:
            self.constraints.addItem(
                QListWidgetItem(f"my exclusions: keeps out {', '.join(terms)} (new)")
            )
        else:
            item.setText(item.text() + f"\n    + {', '.join(terms)} (new)")
        self.constraint_terms.clear()

    def constraint_changes(self) -> dict[str, Any]:
        off: list[str] = []
        on: list[str] = []
        for row in range(self.constraints.count()):
            item = self.constraints.item(row)
            constraint_id = item.data(256)
            if constraint_id is None:
                continue
            checked = item.checkState() == Qt.CheckState.Checked
            if checked != self._constraints_enabled.get(str(constraint_id), True):
                (on if checked else off).append(str(constraint_id))
        return {"off": off, "on": on, "terms": dict(self._constraint_terms)}

    def attribute_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for row in range(self.attributes.rowCount()):
            key_item, value_item = self.attributes.item(row, 0), self.attributes.item(row, 1)
            key = key_item.text().strip() if key_item else ""
            value = value_item.text().strip() if value_item else ""
            if key or value:
                pairs.append((key, value))
        return pairs

    @Slot()
    def save(self) -> None:
        template = self.template.toPlainText()
        on = {True: "on", False: "off"}
        self.status.setText("Saving…")
        self.save_requested.emit(
            {
                "attributes": self.attribute_pairs(),
                "rules_add": list(self._new_rules),
                "rules_remove": list(self._removed_rules),
                "template": None if template == self._loaded_template else template,
                "constraints": self.constraint_changes(),
                "memory": {
                    "enabled": on[self.memory_enabled.isChecked()],
                    "ask_first": on[self.ask_first.isChecked()],
                    "model_extraction": on[self.model_extraction.isChecked()],
                },
            }
        )
