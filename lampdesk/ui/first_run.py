"""The first-run wizard: who the user is, and how their profile is protected.

It only collects answers; the assistant worker creates the encrypted profile from them, off the GUI
thread (:class:`FirstRun` travels to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lampdesk.paths import DataPaths
from lampdesk.ui.model_catalog_dialog import ModelStepPage
from lampdesk.ui.qt import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from lampdesk.vault.keys import KeyMode

PRIVACY_TEXT = (
    "LampDesk runs entirely on this computer. Your profile, your questions and the model's "
    "answers never leave it: there is no account, no cloud and no network access, except a "
    "model download you start."
)
KEYRING_TEXT = (
    "Your system's keyring keeps the key: LampDesk opens without asking, as long as you are "
    "logged in. Anyone using your unlocked session can open it too."
)
PASSPHRASE_TEXT = (
    "You type a passphrase each time LampDesk starts. Nobody can open the profile without it, "
    "and neither can you: a forgotten passphrase cannot be recovered."
)
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class FirstRun:
    """What the wizard collected."""

    attributes: list[tuple[str, str]] = field(default_factory=list)
    mode: KeyMode = KeyMode.PASSPHRASE
    passphrase: str | None = None


class _Welcome(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Welcome to LampDesk")
        label = QLabel(
            PRIVACY_TEXT + "\n\nThe next steps set up your profile: what LampDesk should "
            "know about you, and how your profile is locked."
        )
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)


class _About(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("About you")
        self.setSubTitle("All optional; you can change everything later.")
        self.name = QLineEdit()
        self.diet = QLineEdit()
        self.diet.setPlaceholderText("e.g. vegetarian")
        self.city = QLineEdit()
        self.tone = QLineEdit()
        self.tone.setPlaceholderText("e.g. concise and friendly")
        self.interests = QLineEdit()
        self.interests.setPlaceholderText("e.g. running, jazz, cooking")
        form = QFormLayout(self)
        form.addRow("Your name", self.name)
        form.addRow("Diet", self.diet)
        form.addRow("City", self.city)
        form.addRow("Tone of answers", self.tone)
        form.addRow("Interests", self.interests)

    def attributes(self) -> list[tuple[str, str]]:
        fields = (
            ("name", self.name),
            ("diet", self.diet),
            ("city", self.city),
            ("tone", self.tone),
            ("interests", self.interests),
        )
        return [(key, edit.text().strip()) for key, edit in fields if edit.text().strip()]


class _Protection(QWizardPage):
    def __init__(self, keyring_available: bool) -> None:
        super().__init__()
        self.setTitle("Protect your profile")
        self.setSubTitle("Your profile is always encrypted. Choose who holds the key.")
        self.use_keyring = QRadioButton("Keep the key in my system's keyring")
        self.use_passphrase = QRadioButton("Ask me for a passphrase")
        keyring_note = QLabel(KEYRING_TEXT if keyring_available else "No keyring was found here.")
        passphrase_note = QLabel(PASSPHRASE_TEXT)
        for note in (keyring_note, passphrase_note):
            note.setWordWrap(True)
        self.use_keyring.setEnabled(keyring_available)
        (self.use_keyring if keyring_available else self.use_passphrase).setChecked(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020")
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Again", self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.use_keyring)
        layout.addWidget(keyring_note)
        layout.addWidget(self.use_passphrase)
        layout.addWidget(passphrase_note)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        for widget in (self.use_keyring, self.use_passphrase):
            widget.toggled.connect(self._update)
        for edit in (self.passphrase, self.confirm):
            edit.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        wanted = self.use_passphrase.isChecked()
        self.passphrase.setEnabled(wanted)
        self.confirm.setEnabled(wanted)
        self.problem.setText(self.problem_text())
        self.completeChanged.emit()

    def problem_text(self) -> str:
        if not self.use_passphrase.isChecked():
            return ""
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return f"Use at least {MIN_PASSPHRASE} characters."
        if self.passphrase.text() != self.confirm.text():
            return "The two passphrases differ."
        return ""

    def isComplete(self) -> bool:
        return not self.problem_text()


class FirstRunWizard(QWizard):
    def __init__(
        self,
        keyring_available: bool,
        parent: QWidget | None = None,
        paths: DataPaths | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up LampDesk")
        self.about = _About()
        self.protection = _Protection(keyring_available)
        self.addPage(_Welcome())
        self.addPage(self.about)
        self.addPage(self.protection)
        # With the data directory known: the catalogue's recommendation (skipping keeps the
        # built-in model).
        self.model_step = ModelStepPage(paths) if paths is not None else None
        if self.model_step is not None:
            self.addPage(self.model_step)
            self.resize(720, 560)

    def done(self, result: int) -> None:
        if self.model_step is not None:
            self.model_step.shutdown()
        super().done(result)

    def result_data(self) -> FirstRun:
        if self.protection.use_passphrase.isChecked():
            return FirstRun(
                self.about.attributes(), KeyMode.PASSPHRASE, self.protection.passphrase.text()
            )
        return FirstRun(self.about.attributes(), KeyMode.KEYRING, None)
