"""The Settings dialog's Backups tab, and the offer to restore when a damaged profile is found.

Thin: it paints the list the worker sends and asks the worker for a backup or a restore
through the dialog's ``request`` (actions ``backup`` and ``restore NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lampdesk.ui import settings_work, widgets
from lampdesk.ui.qt import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
)


class BackupTab(QWidget):
    def __init__(
        self,
        request: Callable[[settings_work.SettingsRequest], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._request = request
        self.backups = QListWidget()
        self.backup_button = QPushButton("Back up now")
        self.restore_button = QPushButton("Restore the selected backup…")
        self.backup_button.clicked.connect(lambda: self._request(settings_work.TakeBackup()))
        self.restore_button.clicked.connect(self._restore)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.backups, 1)
        layout.addLayout(buttons)
        layout.addWidget(
            QLabel(
                "LampDesk backs each profile up by itself, encrypted like the profile, a little "
                "after changes and when it closes; it keeps the last few, one a day for a week "
                "and one a week for a month.",
                wordWrap=True,
            )
        )

    def show_backups(self, backups: list[dict[str, Any]]) -> None:
        self.backups.clear()
        for info in backups:
            when = datetime.fromisoformat(info["created_at"]).astimezone()
            item = QListWidgetItem(
                f"{when:%Y-%m-%d %H:%M} · {info['memories']} memories · "
                f"{info['exchanges']} exchanges · {info['size_bytes'] / 1e6:.1f} MB"
            )
            item.setData(Qt.ItemDataRole.UserRole, info["name"])
            self.backups.addItem(item)
        if not backups:
            self.backups.addItem("No backup yet.")
        self.restore_button.setEnabled(bool(backups))

    def _restore(self) -> None:
        item = self.backups.currentItem() or self.backups.item(0)
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not name:
            return
        if widgets.confirmed(
            self,
            "Restore backup",
            f"Replace the profile by the backup of {item.text()}? What was written since is "
            "kept in a backup of its own first.",
        ):
            self._request(settings_work.RestoreBackup(str(name)))


def offer_restore(parent: QWidget, message: str, restore: Callable[[], None]) -> None:
    """A damaged profile was found: say so, and offer to restore its newest backup."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("The profile is damaged")
    box.setText(message)
    restore_button = box.addButton("Restore the newest backup", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.accepted.connect(restore)
    box.setModal(False)
    box.show()
    del restore_button
