"""The drafting pane: a title and a body for a chosen site, tag chips that follow the typing, the tags chosen so
far, and a copy button that writes them in the site's format.

Suggestions come from ``Service.submit`` (its worker thread) and feedback goes to the profile on the relay's
worker, so typing never waits for the model or the disk. Only the answer to the newest draft is shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.chips import ChipBar
from desktop.relay import Relay
from tagrec_core.errors import TagrecError
from tagrec_core.profile.feedback import DEFAULT_USER
from tagrec_core.service import ModelLoading, Service, SuggestRequest
from tagrec_core.suggestion import DEFAULT_MIN_SCORE

DEBOUNCE_MS = 150
RETRY_MS = 500  # while the model loads
LIMIT = 8
SITES = ("stackoverflow", "weibo", "files")


def site_format(site: str, tags: list[str]) -> str:
    """The chosen tags as the site writes them: ``#话题#`` for Weibo, space-separated elsewhere."""
    if site == "weibo":
        return " ".join(f"#{tag}#" for tag in tags)
    return " ".join(tags)


class DraftingPane(QWidget):
    """Write a draft, get tags. ``chips`` shows the suggestions; ``chosen`` holds the accepted tags."""

    def __init__(
        self, service: Service, relay: Relay, user: str = DEFAULT_USER, min_score: float = DEFAULT_MIN_SCORE
    ) -> None:
        super().__init__()
        self.service = service
        self.relay = relay
        self.user = user
        self.min_score = min_score  # suggestions scored below it are not shown
        self.chosen: list[str] = []
        self._rejected: set[str] = set()
        self._shown: set[str] = set()
        self._item = f"draft:{uuid.uuid4()}"
        self._generation = 0

        self.site = QComboBox()
        labels = {"stackoverflow": self.tr("Stack Overflow"), "weibo": self.tr("Weibo"), "files": self.tr("Notes")}
        for site in SITES:
            self.site.addItem(labels[site], site)
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("Title"))
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText(self.tr("Write here; tags follow as you type."))
        self.chips = ChipBar()
        self.chosen_label = QLabel()
        self.status = QLabel()
        self.status.setEnabled(False)
        copy = QPushButton(self.tr("Copy tags"))
        new = QPushButton(self.tr("New draft"))

        form = QFormLayout()
        form.addRow(self.tr("Site"), self.site)
        form.addRow(self.tr("Title"), self.title)
        buttons = QHBoxLayout()
        buttons.addWidget(self.chosen_label, 1)
        buttons.addWidget(copy)
        buttons.addWidget(new)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.chips)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self.title.textChanged.connect(self._typed)
        self.body.textChanged.connect(self._typed)
        self.site.currentIndexChanged.connect(self._typed)
        self.site.currentIndexChanged.connect(self._show_chosen)
        self.chips.accepted.connect(self.accept)
        self.chips.rejected.connect(self.reject)
        copy.clicked.connect(self.copy_tags)
        new.clicked.connect(self.new_draft)
        self._show_chosen()

    # --- suggestions -----------------------------------------------------------------------------------------

    def _typed(self) -> None:
        self._timer.start(DEBOUNCE_MS)

    def refresh(self) -> None:
        """Ask for suggestions for the draft as it is now (normally after a typing pause)."""
        request = SuggestRequest(
            title=self.title.text(),
            body=self.body.toPlainText(),
            tags=tuple(self.chosen),
            site=self.current_site(),
            limit=LIMIT,
            user=self.user,
            min_score=self.min_score,
        )
        self._generation += 1
        generation = self._generation
        try:
            future = self.service.submit(request)
        except ModelLoading:
            self.status.setText(self.tr("Loading the model…"))
            self._timer.start(RETRY_MS)
            return
        except TagrecError as error:
            self.status.setText(str(error))
            return
        self.relay.watch(future, lambda found, error: self._answered(generation, found, error))

    def _answered(self, generation: int, found: Any, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # an older draft's answer
        if error is not None:
            self.status.setText(str(error))
            return
        self.status.setText("")
        visible = [s for s in found if s.tag not in self._rejected][:5]
        self._shown.update(s.tag for s in visible)
        self.chips.show_suggestions(visible)

    def current_site(self) -> str:
        return str(self.site.currentData())

    # --- what the user does ----------------------------------------------------------------------------------

    def accept(self, tag: str) -> None:
        if tag not in self.chosen:
            self.chosen.append(tag)
        self._show_chosen()
        self._feedback(accepted=[tag])
        self.refresh()

    def reject(self, tag: str) -> None:
        self._rejected.add(tag)
        self._feedback(rejected=[tag])
        self.refresh()

    def copy_tags(self) -> None:
        QGuiApplication.clipboard().setText(site_format(self.current_site(), self.chosen))

    def new_draft(self) -> None:
        """Start over: empty fields, no tags; the finished draft's final tags go to the profile."""
        if self.chosen:
            self._feedback(final=list(self.chosen))
        self.chosen, self._rejected, self._shown = [], set(), set()
        self._item = f"draft:{uuid.uuid4()}"
        self.title.clear()
        self.body.clear()
        self._show_chosen()

    def _show_chosen(self) -> None:
        text = site_format(self.current_site(), self.chosen)
        self.chosen_label.setText(text or self.tr("No tags chosen yet."))

    def _feedback(self, **lists: list[str]) -> None:
        event = {
            "site": self.current_site(),
            "item": self._item,
            "title": self.title.text(),
            "body": self.body.toPlainText(),
            "shown": sorted(self._shown),
            **lists,
        }
        self.relay.run(lambda: self.service.feedback(event, user=self.user), self._fed_back)

    def _fed_back(self, _id: Any, error: BaseException | None) -> None:
        if error is not None:
            self.status.setText(self.tr("Could not save the feedback: {error}").format(error=error))
