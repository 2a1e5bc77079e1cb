"""The Settings dialog: the profile user, the bridge's port, the language, the lowest score of a suggestion
shown, starting with the system, and whether file tags are also written where other tools see them. It edits a
``Settings`` value; the ``Desktop`` applies and saves what the user accepted.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core_texts import error_text
from tagrec_core.errors import InputError
from tagrec_core.settings import Settings
from tagrec_core.suggestion import MIN_SCORES


class SettingsDialog(QDialog):
    """Shows ``settings``; ``chosen()`` is what the user set (valid, or the dialog does not close)."""

    def __init__(
        self, settings: Settings, users: list[str], default_port: int, autostart: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("tagrec settings"))
        self._settings = settings
        self._default_port = default_port

        self.user = QComboBox()
        self.user.setEditable(True)
        self.user.addItems(sorted({*users, settings.user}))
        self.user.setCurrentText(settings.user)
        self.user.setToolTip(self.tr("Whose profile learns from your choices. Each user has their own history."))

        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(settings.port or default_port)
        self.port.setToolTip(
            self.tr(
                "The browser extension finds tagrec at http://127.0.0.1:<port>. "
                "Change it in the extension's options too."
            )
        )

        self.language = QComboBox()
        for code, name in (("", self.tr("System language")), ("en", "English"), ("zh_CN", "中文（简体）")):
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))

        self.min_score = QComboBox()
        choices = sorted({*MIN_SCORES, settings.min_score})  # a value set by hand in the file stays choosable
        for score in choices:
            self.min_score.addItem(self.tr("Show all") if score == 0 else percent(score), score)
        self.min_score.setCurrentIndex(choices.index(settings.min_score))
        self.min_score.setToolTip(
            self.tr(
                "A score says how often such a suggestion is right: 5% is right about 1 time in 20. "
                "Suggestions scored lower are not shown, in drafts and for files."
            )
        )

        self.autostart = QCheckBox(self.tr("Start tagrec when I log in (in the tray, so the browser finds the bridge)"))
        self.autostart.setChecked(autostart)

        self.write_xattr = QCheckBox(self.tr("In the file's “user.xdg.tags” attribute (KDE Dolphin, GNOME)"))
        self.write_xattr.setChecked(settings.write_xattr)
        self.write_sidecar = QCheckBox(self.tr("In TagSpaces sidecar files (.ts folder beside the file)"))
        self.write_sidecar.setChecked(settings.write_sidecar)
        copies = QGroupBox(self.tr("Also write the tags of organized files where other tools see them"))
        copies_layout = QVBoxLayout(copies)
        copies_layout.addWidget(self.write_xattr)
        copies_layout.addWidget(self.write_sidecar)
        note = QLabel(self.tr("Tags other tools put there are kept. Your files' contents are never changed."))
        note.setWordWrap(True)
        copies_layout.addWidget(note)

        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)

        form = QFormLayout()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Bridge port"), self.port)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Hide suggestions scored below"), self.min_score)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.autostart)
        layout.addWidget(copies)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def chosen(self) -> Settings:
        """The settings as the dialog shows them; ``InputError`` when a value is not valid."""
        port = self.port.value()
        return self._settings.with_changes(
            user=self.user.currentText(),
            port=None if port == self._default_port else port,
            language=self.language.currentData(),
            min_score=self.min_score.currentData(),
            write_xattr=self.write_xattr.isChecked(),
            write_sidecar=self.write_sidecar.isChecked(),
        )

    def accept(self) -> None:
        try:
            self.chosen()
        except InputError as error:  # e.g. an empty user name: say so, stay open
            self.problem.setText(error_text(error))
            self.problem.setVisible(True)
            return
        super().accept()


def percent(score: float) -> str:
    """A score as people read it: 0.02 -> "2%", 0.025 -> "2.5%"."""
    return f"{score * 100:.4g}%"
