"""Suggestion chips: one button per suggested tag. Click accepts; right-click or Delete rejects; the tooltip
says why (source, score, reason), in the app's language (``core_texts``)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.core_texts import source_text, why_text
from tagrec_core.suggestion import Suggestion


class ChipBar(QWidget):
    """A row of chips. ``accepted(tag)`` / ``rejected(tag)`` say what the user did."""

    accepted = Signal(str)
    rejected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._empty = QLabel()
        self._empty.setEnabled(False)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.chips: list[QToolButton] = []

    def show_suggestions(self, suggestions: Sequence[Suggestion], empty: str | None = None) -> None:
        """Show these chips, or ``empty`` (by default: write something) when there are none. When a chip had the
        focus (it was just accepted or rejected from the keyboard), the chip now in its place gets it."""
        focused = next((n for n, chip in enumerate(self.chips) if chip.hasFocus()), -1)
        self._empty.setText(empty or self.tr("No suggestions yet: write a title or a few words."))
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        self._empty.setVisible(not suggestions)
        for position, s in enumerate(suggestions):
            chip = QToolButton(self)
            chip.setText(s.tag)  # plain text: QToolButton does not interpret markup
            chip.setProperty("tag", s.tag)
            chip.setToolTip(self.tr("{source} · {score:.0%} — {reason}").format(
                source=source_text(s.source), score=s.score, reason=why_text(s)))  # fmt: skip
            chip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            chip.clicked.connect(lambda _=False, tag=s.tag: self.accepted.emit(tag))
            chip.customContextMenuRequested.connect(lambda _pos, tag=s.tag: self.rejected.emit(tag))
            chip.installEventFilter(self)
            self._layout.insertWidget(1 + position, chip)
            self.chips.append(chip)
        if focused >= 0 and self.chips:
            target = self.chips[min(focused, len(self.chips) - 1)]
            target.show()  # a new child is shown only once the loop runs, and a hidden widget takes no focus
            target.setFocus()

    def tags(self) -> list[str]:
        return [chip.property("tag") for chip in self.chips]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        rejecting = isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        if event.type() == QEvent.Type.KeyPress and rejecting:
            self.rejected.emit(watched.property("tag"))
            return True
        return super().eventFilter(watched, event)
