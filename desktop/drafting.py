"""The drafting pane: a title and a body for a chosen site, tag chips that follow the typing, the tags chosen so
far, and a copy button that writes them in the site's format.

The chosen tags belong to the draft of one site (``SiteDraft``): switching the site keeps the title and the body
(the same text, asked for the other site's tags) but not the tags, which are another site's vocabulary and
would be recorded for the wrong site; switching back finds them as they were. Each site's draft is its own
item in the profile.

Suggestions come from ``Service.submit`` (its worker thread) and feedback goes to the profile on the relay's
worker, so typing never waits for the model or the disk. Only the answer to the newest draft is shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
from desktop.core_texts import error_text
from desktop.relay import Relay
from tagrec_core.errors import TagrecError
from tagrec_core.profile.feedback import DEFAULT_USER, MAX_BODY_CHARS, MAX_TITLE_CHARS
from tagrec_core.service import ModelLoading, Service, SuggestRequest
from tagrec_core.suggestion import DEFAULT_MIN_SCORE

DEBOUNCE_MS = 150
RETRY_MS = 500  # while the model loads
LIMIT = 8
# The draft's text as suggestions see it: the ranker reads the first 20,000 characters anyway, and a 5 MB paste
# would be refused whole (over the 1 MB limit of a request) and leave the last chips up.
SUGGEST_CHARS = 20_000
SITES = ("stackoverflow", "weibo", "files")


@dataclass
class SiteDraft:
    """What the draft holds for one site: the tags chosen (in order), rejected and shown, and its item in the
    profile."""

    chosen: list[str] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    shown: set[str] = field(default_factory=set)
    item: str = field(default_factory=lambda: f"draft:{uuid.uuid4()}")


def site_format(site: str, tags: list[str]) -> str:
    """The chosen tags as the site writes them: ``#话题#`` for Weibo, space-separated elsewhere."""
    if site == "weibo":
        return " ".join(f"#{tag}#" for tag in tags)
    return " ".join(tags)


class DraftingPane(QWidget):
    """Write a draft, get tags. ``chips`` shows the suggestions; ``chosen`` holds the tags accepted for the
    current site."""

    def __init__(
        self, service: Service, relay: Relay, user: str = DEFAULT_USER, min_score: float = DEFAULT_MIN_SCORE
    ) -> None:
        super().__init__()
        self.service = service
        self.relay = relay
        self.user = user
        self.min_score = min_score  # suggestions scored below it are not shown
        self._drafts = {site: SiteDraft() for site in SITES}
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
        self.site.currentIndexChanged.connect(self._site_changed)
        self.chips.accepted.connect(self.accept)
        self.chips.rejected.connect(self.reject)
        copy.clicked.connect(self.copy_tags)
        new.clicked.connect(self.new_draft)
        self._show_chosen()

    # --- suggestions -----------------------------------------------------------------------------------------

    def _typed(self) -> None:
        self._timer.start(DEBOUNCE_MS)

    def _site_changed(self) -> None:
        """Show the new site's chosen tags and ask for its suggestions now: the last site's answer, still on its
        way, is not for this site (``refresh`` makes it an older one)."""
        self._show_chosen()
        self._timer.stop()
        self.refresh()

    def refresh(self) -> None:
        """Ask for suggestions for the draft as it is now (normally after a typing pause)."""
        request = SuggestRequest(
            title=_text(self.title.text(), MAX_TITLE_CHARS),
            body=_text(self.body.toPlainText(), SUGGEST_CHARS),
            tags=tuple(self.draft.chosen),
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
            self.status.setText(error_text(error))
            self.chips.show_suggestions([], self.tr("No suggestions for this text."))  # not the last text's
            return
        self.relay.watch(future, lambda found, error: self._answered(generation, found, error))

    def _answered(self, generation: int, found: Any, error: BaseException | None) -> None:
        if generation != self._generation:
            return  # an older draft's answer
        if error is not None:
            self.status.setText(error_text(error))
            self.chips.show_suggestions([], self.tr("No suggestions for this text."))  # not the last text's
            return
        self.status.setText("")
        visible = [s for s in found if s.tag not in self.draft.rejected][:5]
        self.draft.shown.update(s.tag for s in visible)
        written = self.title.text().strip() or self.body.toPlainText().strip()
        empty = (
            self.tr("No suggestion scored {score:.0%} or more (see Settings).").format(score=self.min_score)
            if written and self.min_score > 0
            else None
        )
        self.chips.show_suggestions(visible, empty)

    def current_site(self) -> str:
        return str(self.site.currentData())

    @property
    def draft(self) -> SiteDraft:
        """The draft of the current site."""
        return self._drafts[self.current_site()]

    @property
    def chosen(self) -> list[str]:
        """The tags chosen for the current site, in the order chosen."""
        return self.draft.chosen

    # --- what the user does ----------------------------------------------------------------------------------

    def accept(self, tag: str) -> None:
        draft = self.draft
        if tag not in draft.chosen:
            draft.chosen.append(tag)
        self._show_chosen()
        self._feedback(accepted=[tag], undo=lambda: self._unchoose(draft, tag))
        self.refresh()

    def _unchoose(self, draft: SiteDraft, tag: str) -> None:
        """Take back a tag whose acceptance could not be saved (in the site's draft it was accepted in, whichever
        site is current now): it must not look chosen."""
        if tag in draft.chosen:
            draft.chosen.remove(tag)
            self._show_chosen()

    def reject(self, tag: str) -> None:
        self.draft.rejected.add(tag)
        self._feedback(rejected=[tag])
        self.refresh()

    def copy_tags(self) -> None:
        QGuiApplication.clipboard().setText(site_format(self.current_site(), self.chosen))

    def new_draft(self) -> None:
        """Start over: empty fields, no tags for any site; the finished draft's final tags go to the profile, for
        each site some were chosen for."""
        for site, draft in self._drafts.items():
            if draft.chosen:
                self._feedback(site=site, final=list(draft.chosen))
        self._drafts = {site: SiteDraft() for site in SITES}
        self.title.clear()
        self.body.clear()
        self._show_chosen()

    def _show_chosen(self) -> None:
        text = site_format(self.current_site(), self.chosen)
        self.chosen_label.setText(text or self.tr("No tags chosen yet."))

    def _feedback(self, undo: Callable[[], None] | None = None, site: str | None = None, **lists: list[str]) -> None:
        """Save an event of the draft of ``site`` (default: the current one); ``undo`` runs if it cannot be saved.
        The profile keeps a draft's text up to its limits: a longer one is cut to them rather than losing the
        event."""
        site = site or self.current_site()
        event = {
            "site": site,
            "item": self._drafts[site].item,
            "title": _text(self.title.text(), MAX_TITLE_CHARS),
            "body": _text(self.body.toPlainText(), MAX_BODY_CHARS),
            "shown": sorted(self._drafts[site].shown),
            **lists,
        }
        self.relay.run(lambda: self.service.feedback(event, user=self.user), lambda _id, e: self._fed_back(e, undo))

    def _fed_back(self, error: BaseException | None, undo: Callable[[], None] | None) -> None:
        if error is not None:
            self.status.setText(self.tr("Could not save the feedback: {error}").format(error=error))
            if undo is not None:
                undo()


def _text(text: str, limit: int) -> str:
    """``text`` as a request or an event can take it: at most ``limit`` characters, without NUL characters
    (pasted binary), which the checks refuse as "not text"."""
    return text.replace("\x00", "")[:limit]
