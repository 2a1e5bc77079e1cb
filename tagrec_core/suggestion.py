"""A suggested tag, as every front-end shows it (no model needed to hold one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_MIN_SCORE", "MIN_SCORES", "SOURCES", "WHY_ARGUMENTS", "WHY_CODES", "Suggestion", "Why", "at_least",
]  # fmt: skip

# The ranker's sources, the ``source`` word of its suggestions (the profile adds "user"). Here, not in
# ``ranker``, so that the profile can name them without importing torch.
SOURCES: tuple[str, ...] = ("classifier", "neighbours", "text", "related")
# What the apps hide unless the user chooses otherwise (the API and the CLI hide nothing by default). On held-out
# posts, suggestions below 0.02 were right 0.8% (weibo-polls) and 1.4% (so-titles) of the time; hiding them, the
# apps' five chips became 2.5 on weibo-polls (recall 0.277 -> 0.253, and 13% of posts with none) and 4.7 on
# so-titles (recall 0.861 -> 0.859) (``bench.calibration``, 2026-11-23). The browser extension keeps the same
# values (``lib/bridge.js``).
DEFAULT_MIN_SCORE = 0.02
MIN_SCORES: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5)  # the choices the apps offer


# Every reason a suggestion can give: its code, and its English text (the ``reason``; ``{s}`` is the plural ending
# of ``{count}``). The codes are a contract: the desktop app and the browser extension render them in their
# language (``desktop/core_texts.py``, the extension's ``lib/chips.js``), and show ``reason`` for a code they do
# not know.
_ENGLISH: dict[str, str] = {
    "in_title": "appears in the title",  # the tag, or a variant of its spelling, is in the title
    "in_text": "appears in the text",
    "form_in_text": "a form of it appears in the text",  # e.g. the plural of the tag
    "part_in_text": "part of it appears in the text",  # some of the tag's words
    "similar_posts": "{count} similar post{s}",  # that many of the most similar posts carry it
    "used_with": "often used with {tag}",  # a chosen or likely tag it goes with
    "learned": "learned from {count} tagged post{s}",  # the classifier; count: its training posts with the tag
    "used_on_similar": "you used it on {count} similar item{s}",  # the profile: the user's own similar items
    "used": "you used it {count} time{s}",  # the profile: the user's items with the tag
    "profile": "your profile",  # the profile, with no count to tell
    "implied_by": "implied by {tag}",  # the user's rule: {tag} implies this one
}
WHY_CODES: tuple[str, ...] = tuple(_ENGLISH)
# The arguments each code takes: ``count``, ``tag`` or none (the others are ``None``).
WHY_ARGUMENTS: dict[str, tuple[str, ...]] = {
    code: tuple(name for name in ("count", "tag") if "{" + name + "}" in text) for code, text in _ENGLISH.items()
}


@dataclass(frozen=True, slots=True)
class Why:
    """Why a tag is suggested, in a form every language can render: a stable ``code`` (one of ``WHY_CODES``) and
    its arguments, ``count`` (a number of posts, items or uses) and ``tag`` (another tag), ``None`` where the code
    takes none. ``text()`` is the English ``reason`` shown by the CLI and older clients."""

    code: str
    count: int | None = None
    tag: str | None = None

    def text(self) -> str:
        """The English reason, e.g. ``"3 similar posts"``; ``""`` for a code this tagrec does not know."""
        template = _ENGLISH.get(self.code, "")
        return template.format(count=self.count, tag=self.tag, s="" if self.count == 1 else "s")

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., "count": ..., "tag": ...}`` without the arguments the code does not take."""
        return {"code": self.code, **{k: v for k, v in (("count", self.count), ("tag", self.tag)) if v is not None}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Why:
        """The ``Why`` of ``to_dict``'s (or the bridge's JSON) form; arguments it does not know are left out."""
        return cls(str(data["code"]), data.get("count"), data.get("tag"))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested tag. ``score`` is a calibrated probability in [0, 1]; ``source`` names the method;
    ``reason`` says why in English and ``why`` says the same as a code (``None``: suggestions stored by an older
    tagrec, which have only the ``reason``)."""

    tag: str
    score: float
    source: str
    reason: str = ""
    why: Why | None = None

    def to_dict(self) -> dict[str, Any]:
        """The suggestion as JSON-ready values (``why`` as ``Why.to_dict``'s form, or ``None``)."""
        why = None if self.why is None else self.why.to_dict()
        return {"tag": self.tag, "score": self.score, "source": self.source, "reason": self.reason, "why": why}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suggestion:
        """The suggestion of ``to_dict``'s form, also one stored before ``why`` existed."""
        why = data.get("why")
        return cls(
            data["tag"], data["score"], data["source"], data.get("reason", ""), Why.from_dict(why) if why else None
        )

    @classmethod
    def explained(cls, tag: str, score: float, source: str, why: Why) -> Suggestion:
        """A suggestion whose ``reason`` is ``why``'s English text."""
        return cls(tag, score, source, why.text(), why)


def at_least(suggestions: Iterable[Suggestion], min_score: float) -> list[Suggestion]:
    """The suggestions whose score is ``min_score`` or more, in their order.

    Scores are calibrated (a suggestion of score 0.05 is right about one time in twenty, measured on held-out
    posts), so a minimum hides weak suggestions with a meaning a person can choose by.
    """
    return [s for s in suggestions if s.score >= min_score]
