"""A user's feedback over time, per day, week or month: for the profile's plots (tags over time, accept rate).

Read-only and computed in SQL from ``events`` (the history as received), so it costs one scan of the user's
events and never changes the profile. The words are the profile's own:

* **shown / accepted / rejected**: tags an event says were shown, accepted and rejected (each event's lists
  are deduplicated, as the vocabulary's counters count them).
* **hits**: shown tags the same event accepted. **accept rate** = hits / shown: of the tags shown, the share
  accepted (``accept_rate``; ``Profile.stats`` uses the same function, so the totals of a timeline give the
  rate the profile reports).
* **top tags**: the user's tags on the most items now, as ``Profile.stats`` ranks them (items, then tag).
* **uses** of a tag in a period: the user's items the tag was given to in that period (the tag accepted, or
  among the final tags the user saved); an item counts once per period however many events it had.

A period is placed by the calendar day written in the event's ``created`` time: the client's local day when
it sends its own offset, UTC for events that tagrec stamped. An event whose ``created`` is not a plain
``YYYY-MM-DD…`` date falls back to the day it was received. Weeks start on Monday.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

__all__ = ["PeriodCounts", "PeriodKind", "Timeline", "accept_rate", "choose_period", "period_start", "timeline"]

PeriodKind = Literal["day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = get_args(PeriodKind)
DEFAULT_TOP = 5
# Automatic periods keep a plot near 100 points at most: days up to about three months, weeks up to two years.
MAX_DAYS_BY_DAY = 92
MAX_DAYS_BY_WEEK = 2 * 366

# The event's day in SQL (see the module docstring). ``date()`` gives NULL for anything that is not a date, and
# the ``+0 days`` modifier rolls an impossible day (``02-30``) over to a real one, as Python's ``date`` needs.
_DAY = "coalesce(date(substr(e.created, 1, 10), '+0 days'), date(substr(e.received, 1, 10), '+0 days'))"
# The first day of the event's period, the same rule as ``period_start``.
_PERIOD_SQL: dict[PeriodKind, str] = {
    "day": _DAY,
    "week": f"date({_DAY}, 'weekday 0', '-6 days')",  # the Monday on or before the day
    "month": f"date({_DAY}, 'start of month')",
}


def accept_rate(hits: int, shown: int) -> float | None:
    """Of the tags shown, the share accepted (``hits / shown``, in [0, 1]); ``None`` when nothing was shown."""
    return hits / shown if shown else None


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """One period of a ``Timeline``: counts of the events placed in it (all zero for a quiet period).

    ``uses[i]`` is the uses of ``Timeline.top_tags[i]`` in the period.
    """

    start: date
    events: int
    shown: int
    accepted: int
    rejected: int
    hits: int
    uses: tuple[int, ...]

    @property
    def accept_rate(self) -> float | None:
        """``accept_rate(hits, shown)``: ``None`` when no tag was shown in the period."""
        return accept_rate(self.hits, self.shown)


@dataclass(frozen=True, slots=True)
class Timeline:
    """A user's history in consecutive periods of one kind, from the first event's period to the last's.

    No events (or an unknown user): ``periods`` is empty.
    """

    user: str
    period: PeriodKind
    top_tags: tuple[str, ...]
    periods: tuple[PeriodCounts, ...]

    @property
    def empty(self) -> bool:
        return not self.periods

    def uses(self, tag: str) -> list[int]:
        """The uses of ``tag`` in each period; ``ValueError`` when it is not one of ``top_tags``."""
        index = self.top_tags.index(tag)
        return [p.uses[index] for p in self.periods]

    def accept_rates(self) -> list[float | None]:
        """The accept rate of each period (``None`` where nothing was shown)."""
        return [p.accept_rate for p in self.periods]

    def totals(self) -> PeriodCounts:
        """All periods added up, dated at the first period (``date.min`` when empty)."""
        first = self.periods[0].start if self.periods else date.min

        def total(name: str) -> int:
            return sum(getattr(p, name) for p in self.periods)

        uses = tuple(sum(column) for column in zip(*(p.uses for p in self.periods), strict=True))
        return PeriodCounts(
            first,
            total("events"),
            total("shown"),
            total("accepted"),
            total("rejected"),
            total("hits"),
            uses or (0,) * len(self.top_tags),
        )


def choose_period(first: date, last: date) -> PeriodKind:
    """The period for a history from ``first`` to ``last``: days up to ~3 months, weeks up to 2 years, else months."""
    span = (last - first).days
    if span <= MAX_DAYS_BY_DAY:
        return "day"
    return "week" if span <= MAX_DAYS_BY_WEEK else "month"


def period_start(day: date, period: PeriodKind) -> date:
    """The first day of the period that holds ``day`` (weeks start on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def timeline(
    conn: sqlite3.Connection,
    user_id: int | None,
    user: str,
    *,
    period: PeriodKind | None = None,
    top: int = DEFAULT_TOP,
) -> Timeline:
    """The timeline of user ``user_id`` (``None``: unknown user, empty timeline) read through ``conn``.

    ``period`` ``None`` chooses from the span of the history (``choose_period``); ``top`` is how many top
    tags get their uses counted (0: none). ``ValueError`` for another period or a negative ``top``.
    Two aggregate queries; no write.
    """
    if period is not None and period not in PERIOD_KINDS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_KINDS)}, not {period!r}")
    if top < 0:
        raise ValueError("top must be 0 or more")
    if user_id is None:
        return Timeline(user, period or "day", (), ())
    days = _counts_by_day(conn, user_id)
    if not days:
        return Timeline(user, period or "day", (), ())
    chosen = period or choose_period(min(days), max(days))
    by_period: dict[date, list[int]] = {}
    for day, counts in days.items():  # days add up exactly into weeks and months
        row = by_period.setdefault(period_start(day, chosen), [0] * 5)
        for i, n in enumerate(counts):
            row[i] += n
    tags = _top_tags(conn, user_id, top)
    uses = _uses(conn, user_id, chosen, tags)
    periods = tuple(
        PeriodCounts(start, *by_period.get(start, (0, 0, 0, 0, 0)), tuple(uses.get((start, t), 0) for t in tags))
        for start in _starts(min(by_period), max(by_period), chosen)
    )
    return Timeline(user, chosen, tags, periods)


def _counts_by_day(conn: sqlite3.Connection, user_id: int) -> dict[date, tuple[int, ...]]:
    """Per day with events: (events, shown, accepted, rejected, hits)."""
    rows = conn.execute(
        f"SELECT {_DAY} AS day, count(*), sum(coalesce(json_array_length(e.shown), 0)),"
        " sum(coalesce(json_array_length(e.accepted), 0)), sum(coalesce(json_array_length(e.rejected), 0)),"
        " sum((SELECT count(*) FROM json_each(e.accepted) a, json_each(e.shown) s WHERE a.value = s.value))"
        " FROM events e WHERE e.user_id = ? GROUP BY day HAVING day IS NOT NULL",
        (user_id,),
    )
    return {date.fromisoformat(day): tuple(int(n) for n in counts) for day, *counts in rows}


def _top_tags(conn: sqlite3.Connection, user_id: int, top: int) -> tuple[str, ...]:
    """The user's ``top`` tags on the most items now, ranked as ``Profile.stats`` ranks them."""
    if top == 0:
        return ()
    rows = conn.execute(
        "SELECT tag FROM vocab WHERE user_id = ? AND items > 0 ORDER BY items DESC, tag LIMIT ?", (user_id, top)
    )
    return tuple(tag for (tag,) in rows)


def _uses(
    conn: sqlite3.Connection, user_id: int, period: PeriodKind, tags: tuple[str, ...]
) -> dict[tuple[date, str], int]:
    """(period start, tag) -> the uses of ``tags`` (see the module docstring) in each period that has any."""
    if not tags:
        return {}
    # An event's tags given are its final tags when it says them, else the tags it accepted.
    rows = conn.execute(
        "SELECT period, tag, count(*) FROM"
        f" (SELECT DISTINCT {_PERIOD_SQL[period]} AS period, t.value AS tag, e.site, e.item"
        "  FROM events e, json_each(coalesce(e.final, e.accepted)) t"
        f"  WHERE e.user_id = ? AND t.value IN ({','.join('?' * len(tags))}))"
        " WHERE period IS NOT NULL GROUP BY period, tag",
        (user_id, *tags),
    )
    return {(date.fromisoformat(start), tag): int(n) for start, tag, n in rows}


def _starts(first: date, last: date, period: PeriodKind) -> Iterator[date]:
    """Every period start from ``first`` to ``last`` (both period starts), in order; it ends at ``date.max``
    (an imported event may be dated in the year 9999: its period is the last one)."""
    start = first
    while start <= last:
        yield start
        try:
            if period == "day":
                start += timedelta(days=1)
            elif period == "week":
                start += timedelta(days=7)
            else:
                start = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        except (OverflowError, ValueError):  # past date.max
            return
