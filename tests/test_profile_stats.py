"""``Profile.timeline`` on real profile files: real events recorded through ``Profile.record``/``record_many``,
counted per day, week or month; the accept rate as ``Profile.stats`` defines it; the uses of the top tags."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tagrec_core.profile import DEFAULT_USER, Feedback, Profile, parse_feedback
from tagrec_core.profile.timeline import choose_period, period_start


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with Profile.open(tmp_path / "profile.sqlite", recover=False) as opened:
        yield opened


def event(created: str, item: str = "a", **fields: Any) -> Feedback:
    """A checked event of site ``files`` at time ``created`` (a date alone means noon UTC that day)."""
    when = created if "T" in created else f"{created}T12:00:00+00:00"
    return parse_feedback({"site": "files", "item": item, "created": when, **fields})


def starts(profile: Profile, **options: Any) -> list[str]:
    return [p.start.isoformat() for p in profile.timeline(DEFAULT_USER, **options).periods]


def test_an_empty_profile_and_an_unknown_user_have_empty_timelines(profile: Profile) -> None:
    empty = profile.timeline(DEFAULT_USER)
    assert empty.empty and empty.periods == () and empty.top_tags == ()
    assert empty.totals().events == 0 and empty.totals().accept_rate is None
    profile.record(event("2024-05-01", accepted=["python"]))
    ghost = profile.timeline("ghost", period="month")
    assert ghost.empty and ghost.period == "month" and ghost.user == "ghost"
    assert profile.user("ghost") is None  # reading never creates a user


def test_one_event_is_one_day_with_its_counts(profile: Profile) -> None:
    profile.record(event("2024-05-01", shown=["python", "pandas", "numpy"], accepted=["python"], rejected=["numpy"]))
    timeline = profile.timeline(DEFAULT_USER)
    assert timeline.period == "day" and timeline.top_tags == ("python",)
    (only,) = timeline.periods
    assert only.start == date(2024, 5, 1)
    assert (only.events, only.shown, only.accepted, only.rejected, only.hits) == (1, 3, 1, 1, 1)
    assert only.accept_rate == pytest.approx(1 / 3)
    assert timeline.uses("python") == [1]
    with pytest.raises(ValueError):
        timeline.uses("numpy")  # not a top tag: rejected, on no item


def test_events_across_years_are_months_without_gaps(profile: Profile) -> None:
    profile.record_many([
        event("2021-11-15", "a", shown=["python"], accepted=["python"]),
        event("2022-01-03", "b", shown=["python", "sql"], accepted=["sql"]),
        event("2024-02-29", "c", accepted=["sql"]),
    ])  # fmt: skip
    timeline = profile.timeline(DEFAULT_USER)
    assert timeline.period == "month"
    assert len(timeline.periods) == 28  # 2021-11 … 2024-02, the quiet months included
    assert timeline.periods[0].start == date(2021, 11, 1) and timeline.periods[-1].start == date(2024, 2, 1)
    assert [p.start.month for p in timeline.periods[:4]] == [11, 12, 1, 2]  # across the turn of the year
    assert [p.events for p in timeline.periods] == [1, 0, 1] + [0] * 24 + [1]
    rates = timeline.accept_rates()
    assert rates[0] == 1.0 and rates[1] is None and rates[2] == 0.5
    assert rates[-1] is None  # accepted, but nothing was shown: no rate
    assert timeline.top_tags == ("sql", "python")  # two items, then one
    assert timeline.uses("sql") == [0, 0, 1] + [0] * 24 + [1]
    assert starts(profile, period="week")[:2] == ["2021-11-15", "2021-11-22"]  # a Monday, then the next


def test_a_user_with_only_rejections_has_an_accept_rate_of_zero_and_no_top_tags(profile: Profile) -> None:
    profile.record_many([
        event("2024-05-01", "a", shown=["python", "java"], rejected=["python", "java"]),
        event("2024-05-03", "b", shown=["go"], rejected=["go"]),
    ])  # fmt: skip
    timeline = profile.timeline(DEFAULT_USER)
    assert timeline.top_tags == ()
    assert [p.accept_rate for p in timeline.periods] == [0.0, None, 0.0]
    assert [p.rejected for p in timeline.periods] == [2, 0, 1]
    assert all(p.uses == () for p in timeline.periods)
    assert profile.stats(DEFAULT_USER)["accept_rate"] == 0.0


def test_totals_agree_with_the_profiles_stats(profile: Profile) -> None:
    profile.record_many([
        event("2024-01-01", "a", shown=["python", "pandas", "numpy"], accepted=["python", "pandas"]),
        event("2024-01-09", "b", shown=["python", "sql"], accepted=["mine"], rejected=["sql"]),  # mine: not shown
        event("2024-03-02", "a", shown=["numpy"], rejected=["numpy"], final=["python"]),
        event("2024-04-20", "c", final=["中国女排", "排球"]),
        event("2024-04-21", "d", shown=["中国女排"], accepted=["中国女排"], user="someone-else"),
    ])  # fmt: skip
    totals, stats = profile.timeline(DEFAULT_USER).totals(), profile.stats(DEFAULT_USER)
    assert (totals.events, totals.shown, totals.accepted, totals.rejected) == (
        stats["feedback_events"], stats["shown"], stats["accepted"], stats["rejected"],
    )  # fmt: skip
    assert totals.hits == 2 and round(totals.accept_rate or 0, 4) == stats["accept_rate"] == round(2 / 6, 4)


def test_uses_count_each_item_once_per_period_and_follow_final_tags(profile: Profile) -> None:
    profile.record_many([
        event("2024-06-03", "a", accepted=["python"]),
        event("2024-06-04", "a", final=["python", "pandas"]),  # the same item again this week: once
        event("2024-06-05", "b", accepted=["python"]),
        event("2024-06-12", "a", accepted=["pandas"], final=["sql"]),  # final says what the item got
        event("2024-06-13", "中", final=["中国女排"]),
    ])  # fmt: skip
    timeline = profile.timeline(DEFAULT_USER, period="week", top=10)
    assert [p.start for p in timeline.periods] == [date(2024, 6, 3), date(2024, 6, 10)]
    assert timeline.top_tags == ("python", "sql", "中国女排")  # pandas is on no item now: not a top tag
    assert timeline.uses("python") == [2, 0]
    assert timeline.uses("sql") == [0, 1]
    assert timeline.uses("中国女排") == [0, 1]
    assert profile.timeline(DEFAULT_USER, period="week", top=0).top_tags == ()


def test_top_tags_are_ranked_as_stats_ranks_them(profile: Profile) -> None:
    for n, tags in enumerate([["b", "a"], ["b", "c"], ["a", "b"], ["d"]]):
        profile.record(event(f"2024-01-0{n + 1}", f"i{n}", final=tags))
    assert profile.timeline(DEFAULT_USER, top=3).top_tags == ("b", "a", "c")
    assert [t["tag"] for t in profile.stats(DEFAULT_USER)["top_tags"]][:3] == ["b", "a", "c"]


def test_weeks_start_on_monday_and_days_are_the_writers_own(profile: Profile) -> None:
    profile.record_many([
        event("2024-03-10T23:30:00-05:00", "a", accepted=["x"]),  # Sunday where it was written (Monday in UTC)
        event("2024-03-11T00:10:00+08:00", "b", accepted=["x"]),  # Monday where it was written (Sunday in UTC)
    ])  # fmt: skip
    assert starts(profile, period="day") == ["2024-03-10", "2024-03-11"]
    assert starts(profile, period="week") == ["2024-03-04", "2024-03-11"]
    assert starts(profile, period="month") == ["2024-03-01"]


def test_the_period_follows_the_span_of_the_history(profile: Profile) -> None:
    first = date(2024, 1, 1)
    assert [choose_period(first, first + timedelta(days=d)) for d in (0, 92, 93, 732, 733)] == [
        "day", "day", "week", "week", "month",
    ]  # fmt: skip
    profile.record(event(first.isoformat(), "a", accepted=["x"]))
    profile.record(event((first + timedelta(days=92)).isoformat(), "b", accepted=["x"]))
    assert profile.timeline(DEFAULT_USER).period == "day" and len(starts(profile)) == 93
    profile.record(event((first + timedelta(days=93)).isoformat(), "c", accepted=["x"]))
    assert profile.timeline(DEFAULT_USER).period == "week"
    assert period_start(date(2024, 2, 29), "month") == date(2024, 2, 1)


def test_an_event_dated_in_the_last_year_of_the_calendar_ends_the_timeline(profile: Profile) -> None:
    # parse_feedback refuses such a time now, but an older profile or an import may hold one.
    profile.record(event("2024-05-01", "a", accepted=["x"]))
    profile.record(event("2024-05-02", "b", accepted=["x"]))
    with sqlite3.connect(profile.path) as conn:
        conn.execute("UPDATE events SET created = '9999-12-31T12:00:00+00:00' WHERE item = 'b'")
    conn.close()
    for period in ("day", "week", "month"):
        periods = profile.timeline(DEFAULT_USER, period=period).periods
        assert periods[0].start <= date(2024, 5, 1) and periods[-1].start.year == 9999
        assert sum(p.events for p in periods) == 2


def test_bad_arguments_are_refused(profile: Profile) -> None:
    with pytest.raises(ValueError, match="period"):
        profile.timeline(DEFAULT_USER, period="year")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top"):
        profile.timeline(DEFAULT_USER, top=-1)


@pytest.mark.slow
def test_a_hundred_thousand_events_take_well_under_a_few_seconds(profile: Profile) -> None:
    tags = [f"tag{i}" for i in range(200)]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    events = [
        parse_feedback({
            "site": "files", "item": f"i{n % 30_000}", "shown": [tags[n % 200], tags[n * 7 % 200], tags[n * 13 % 200]],
            "accepted": [tags[n % 200]], "created": (start + timedelta(minutes=10 * n)).isoformat(),
        })
        for n in range(100_000)
    ]  # fmt: skip
    for first in range(0, len(events), 5_000):
        profile.record_many(events[first : first + 5_000])
    began = time.perf_counter()
    timeline = profile.timeline(DEFAULT_USER)
    took = time.perf_counter() - began
    assert timeline.period == "week" and timeline.totals().events == 100_000
    assert took < 5.0, f"{took:.2f} s"  # about 0.5 s on the shared 2-core machine
