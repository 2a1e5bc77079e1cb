"""A feedback event: what the user was shown for one item, what they accepted and rejected, the final tags.

The one shape every front-end sends (CLI ``tagrec feedback`` lines, the bridge's ``POST /v1/feedback``, the
desktop app), checked here once: unknown fields, wrong types, empty or oversized tags and huge texts are
rejected with a ``FeedbackError`` that names the field, before anything is written.

An event may carry a ``key``, unique to it and chosen by its sender once (the extension: a random UUID kept with
the event while it waits to be sent): the profile stores an event with a key it has seen for that user only once,
so a sender that got no answer may send it again without counting it twice. The key must be unique per event,
not per run or per item: a different event under a key the user already has is refused (``KeyConflict``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tagrec_core.errors import FeedbackError
from tagrec_core.text import is_unicode, normalize_tag

__all__ = [
    "DEFAULT_USER",
    "KEY_PATTERN",
    "Feedback",
    "check_created",
    "check_key",
    "check_site",
    "check_tag",
    "check_tags",
    "check_text",
    "parse_feedback",
]

DEFAULT_USER = "local"
MAX_TITLE_CHARS = 2_000
MAX_BODY_CHARS = 200_000
MAX_NAME_CHARS = 2_000  # user, item, url
MAX_TAG_CHARS = 100
MAX_TAGS = 200  # per list
SITE_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
_SITE = re.compile(SITE_PATTERN)
MAX_KEY_CHARS = 128
# Printable ASCII characters, no spaces. A key names one event for good: a UUID or a ULID, never a counter that
# starts again in each run (the profile refuses a different event under a key it holds: ``KeyConflict``).
KEY_PATTERN = rf"^[!-~]{{1,{MAX_KEY_CHARS}}}$"
_KEY = re.compile(KEY_PATTERN)
_FIELDS = {"user", "site", "item", "url", "title", "body", "shown", "accepted", "rejected", "final", "created", "key"}
_TAG_LISTS = ("shown", "accepted", "rejected", "final")
_VISIBLE = "LNPS"  # Unicode category initials of the characters that show: a tag needs one of them
# The range of an event's ``created`` time: the profile's plots and recency read it, so a time in year 1 or 9999
# would stretch them over millennia. A day of slack for clocks and time zones ahead of this machine's.
EARLIEST_CREATED = datetime(1970, 1, 1, tzinfo=UTC)
CREATED_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Feedback:
    """One checked event. Tags are normalised (``normalize_tag``) and deduplicated, in their order.

    ``final`` is ``None`` when the client did not say; then the item's tags become its earlier tags plus
    ``accepted`` minus ``rejected``. ``created`` is an ISO 8601 time (the event's own, or now). ``key`` is the
    sender's unique key of the event (``None``: it has none, and every copy sent is stored).
    """

    site: str
    item: str
    user: str = DEFAULT_USER
    url: str = ""
    title: str = ""
    body: str = ""
    shown: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    final: tuple[str, ...] | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (``parse_feedback`` of it gives it back)."""
        out: dict[str, Any] = {
            "user": self.user,
            "site": self.site,
            "item": self.item,
            "url": self.url,
            "title": self.title,
            "body": self.body,
            "shown": list(self.shown),
            "accepted": list(self.accepted),
            "rejected": list(self.rejected),
            "created": self.created,
        }
        if self.final is not None:
            out["final"] = list(self.final)
        if self.key is not None:
            out["key"] = self.key
        return out


def parse_feedback(data: Any, *, default_user: str = DEFAULT_USER) -> Feedback:
    """Check one event (decoded JSON) and return it as a ``Feedback``; ``FeedbackError`` says what is wrong.

    Required: ``site`` (lowercase word such as ``stackoverflow``, ``weibo``, ``files``) and ``item`` (the
    item's id, URL or path in that site). At least one tag list must say something, or there is nothing to
    learn. A tag may not be both accepted and rejected. ``key``, when given, matches ``KEY_PATTERN``.
    """
    if not isinstance(data, Mapping):
        raise FeedbackError(f"a feedback event must be a JSON object, not {_kind(data)}")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise FeedbackError(f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(map(str, unknown))}")
    site = check_site(data.get("site"))
    item = _string(data, "item", MAX_NAME_CHARS, required=True)
    user = _string(data, "user", MAX_NAME_CHARS) or default_user
    lists = {name: _tags(data, name) for name in _TAG_LISTS}
    both = sorted(set(lists["accepted"] or ()) & set(lists["rejected"] or ()))
    if both:
        raise FeedbackError(f"tags both accepted and rejected: {', '.join(both)}")
    if not any(lists[name] for name in ("accepted", "rejected", "shown")) and lists["final"] is None:
        raise FeedbackError("nothing to learn: give at least one of shown, accepted, rejected or final")
    return Feedback(
        site=site,
        item=item,
        user=user,
        url=_string(data, "url", MAX_NAME_CHARS),
        title=_string(data, "title", MAX_TITLE_CHARS),
        body=_string(data, "body", MAX_BODY_CHARS),
        shown=lists["shown"] or (),
        accepted=lists["accepted"] or (),
        rejected=lists["rejected"] or (),
        final=lists["final"],
        created=_created(data.get("created")),
        key=check_key(data.get("key")),
    )


def _string(data: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    return check_text(data.get(name), name, limit, required=required)


def _tags(data: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    value = data.get(name)
    return None if value is None else check_tags(value, name)


def check_key(value: Any) -> str | None:
    """An event's ``key``: ``None`` or a string matching ``KEY_PATTERN`` (else ``FeedbackError``)."""
    if value is None:
        return None
    key = check_text(value, "key", MAX_KEY_CHARS, required=True)
    if not _KEY.fullmatch(key):
        raise FeedbackError(
            f"key must be 1 to {MAX_KEY_CHARS} printable ASCII characters without spaces, such as a UUID"
        )
    return key


def _created(value: Any) -> str:
    return datetime.now(UTC).isoformat(timespec="seconds") if value is None else check_created(value)


# --- the rules, for everything the profile stores (events here, imports, aliases and implied tags) ---------------


def check_text(value: Any, where: str, limit: int, *, required: bool = False) -> str:
    """``value`` as text the profile can store: a string (``None`` is ``""``, or missing when ``required``) of
    at most ``limit`` characters, valid Unicode without NUL (and not blank when ``required``). Else
    ``FeedbackError`` naming ``where``."""
    if value is None:
        if required:
            raise FeedbackError(f"{where} is required")
        return ""
    if not isinstance(value, str):
        raise FeedbackError(f"{where} must be a string, not {_kind(value)}")
    if "\x00" in value:
        raise FeedbackError(f"{where} contains a NUL character")
    if not is_unicode(value):  # SQLite cannot store it, and JSON would carry it as an escape
        raise FeedbackError(f"{where} is not valid Unicode text (it contains a lone surrogate)")
    if len(value) > limit:
        raise FeedbackError(f"{where} is too long ({len(value):,} characters; the limit is {limit:,})")
    if required and not value.strip():
        raise FeedbackError(f"{where} is empty")
    return value


def check_site(value: Any, where: str = "site") -> str:
    """``value`` as a site name (lowercase, such as ``stackoverflow``); else ``FeedbackError`` naming ``where``."""
    site = check_text(value, where, MAX_NAME_CHARS, required=True)
    if not _SITE.fullmatch(site):
        raise FeedbackError(
            f"{where} must be a lowercase name such as stackoverflow, weibo or files, not {site[:40]!r}"
        )
    return site


def check_tag(tag: Any, where: str) -> str:
    """``tag`` normalised (``normalize_tag``), or ``FeedbackError`` naming ``where``: a string of at most
    ``MAX_TAG_CHARS`` characters (before and after normalising), valid Unicode, no control characters, and
    something visible in it. The rules of every tag the profile stores, wherever it comes from."""
    if not isinstance(tag, str):
        raise FeedbackError(f"{where} must be a string, not {_kind(tag)}")
    if len(tag) > MAX_TAG_CHARS:
        raise FeedbackError(f"{where} is too long ({len(tag):,} characters; the limit is {MAX_TAG_CHARS})")
    if not is_unicode(tag):
        raise FeedbackError(f"{where} is not valid Unicode text (it contains a lone surrogate)")
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in tag):
        raise FeedbackError(f"{where} contains control characters")
    clean = normalize_tag(tag)
    if not clean or "\x00" in clean or not any(unicodedata.category(ch)[0] in _VISIBLE for ch in clean):
        raise FeedbackError(f"{where} is an empty tag (nothing visible in it)")
    if len(clean) > MAX_TAG_CHARS:  # NFKC can lengthen a tag (one ligature becomes many letters)
        raise FeedbackError(
            f"{where} is too long once normalised ({len(clean)} characters; the limit is {MAX_TAG_CHARS})"
        )
    return clean


def check_tags(value: Any, where: str, *, limit: int | None = MAX_TAGS) -> tuple[str, ...]:
    """``value`` as a list of at most ``limit`` tags (``None``: any number), each checked by ``check_tag``;
    normalised and deduplicated, in their order. Else ``FeedbackError`` naming ``where`` (and the position)."""
    if not isinstance(value, list):
        raise FeedbackError(f"{where} must be a list of tags, not {_kind(value)}")
    if limit is not None and len(value) > limit:
        raise FeedbackError(f"{where} has {len(value)} tags; the limit is {limit}")
    return tuple(dict.fromkeys(check_tag(tag, f"{where}[{position}]") for position, tag in enumerate(value)))


def check_created(value: Any, where: str = "created") -> str:
    """``value`` as an event time: an ISO 8601 string between ``EARLIEST_CREATED`` and a day after now (no
    zone: UTC), returned as given; else ``FeedbackError`` naming ``where``."""
    if not isinstance(value, str):
        raise FeedbackError(f"{where} must be an ISO 8601 time string, not {_kind(value)}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise FeedbackError(f"{where} is not an ISO 8601 time: {value[:40]!r}") from None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    latest = datetime.now(UTC) + CREATED_SLACK
    if not EARLIEST_CREATED <= when <= latest:
        raise FeedbackError(
            f"{where} must lie between {EARLIEST_CREATED:%Y-%m-%d} and tomorrow ({latest:%Y-%m-%d}), not {value[:40]!r}"
        )
    return value


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
