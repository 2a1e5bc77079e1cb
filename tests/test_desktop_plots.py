"""The profile view's plots on real widgets (Qt offscreen, pytest-qt) over a real profile file and the real
relay: recorded events become one line per top tag and an accept-rate line, read back from the plot items;
an empty profile shows a message instead of axes; Chinese tags and tags that look like markup."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
pytest.importorskip("pyqtgraph")

from PySide6.QtGui import QColor

from desktop.plots import DAY_SECONDS, LINE_COLOURS, DateAxis, ProfilePlots, timestamp
from desktop.profile_view import ProfileView
from desktop.relay import Relay
from tagrec_core.profile import DEFAULT_USER, Profile, parse_feedback

MONDAY = date(2024, 3, 4)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with Profile.open(tmp_path / "profile.sqlite", recover=False) as opened:
        yield opened


@pytest.fixture
def view(qtbot: Any, profile: Profile, tmp_path: Path) -> Iterator[ProfileView]:
    relay = Relay()
    shown = ProfileView(profile, relay, DEFAULT_USER, tmp_path)
    qtbot.addWidget(shown)
    shown.resize(900, 600)
    shown.sections.setCurrentWidget(shown.plots)
    shown.show()
    yield shown
    relay.close()


def record(profile: Profile, day: date, item: str, **tags: list[str]) -> None:
    fields = {"site": "files", "item": item, "created": f"{day.isoformat()}T09:30:00+08:00", **tags}
    profile.record(parse_feedback(fields))


def refreshed(view: ProfileView, qtbot: Any) -> ProfilePlots:
    """The view's plots once a refresh has read the profile (in the background) and drawn it."""
    with qtbot.waitSignal(view.plots_loaded, timeout=10_000):
        view.refresh()
    return view.plots


def ys(curve: Any) -> list[float]:
    return [float(y) for y in curve.getData()[1]]


def test_recorded_events_become_a_line_per_top_tag_and_an_accept_rate_line(
    view: ProfileView, profile: Profile, qtbot: Any
) -> None:
    record(profile, MONDAY, "a", shown=["中国女排", "排球", "python"], accepted=["中国女排", "排球"])
    record(profile, MONDAY + timedelta(days=2), "b", shown=["中国女排"], accepted=["中国女排"])
    # a quiet week, then a rejection and a tag the user typed themselves (accepted, never shown)
    record(profile, MONDAY + timedelta(days=14), "c", shown=["python", "排球"], rejected=["python"], accepted=["sql"])
    record(profile, MONDAY + timedelta(weeks=15), "d", shown=["python"], rejected=["python"])  # > 3 months: weeks
    plots = refreshed(view, qtbot)

    assert plots.showing_plots()
    assert list(plots.tag_curves) == ["中国女排", "sql", "排球"]  # on 2 items, then 1 each (by tag)
    weeks = [timestamp(MONDAY + timedelta(weeks=n)) for n in range(16)]
    quiet = [0] * 13
    for tag, uses in {"中国女排": [2, 0, 0], "排球": [1, 0, 0], "sql": [0, 0, 1]}.items():
        x, y = plots.tag_curves[tag].getData()
        assert list(x) == weeks and list(y) == uses + quiet, tag
    assert [label.item.toPlainText() for _, label in plots.legend.items] == ["中国女排", "sql", "排球"]
    x, _ = plots.rate_curve.getData()
    rates = ys(plots.rate_curve)
    assert list(x) == weeks
    assert rates[0] == pytest.approx(100 * 3 / 4) and math.isnan(rates[1]) and rates[2] == 0.0
    assert all(math.isnan(rate) for rate in rates[3:15]) and rates[15] == 0.0
    assert plots.tags_plot.getAxis("left").labelText == "items per week"
    assert isinstance(plots.tags_plot.getAxis("bottom"), DateAxis)


def test_an_empty_profile_shows_a_message_instead_of_axes(view: ProfileView, qtbot: Any) -> None:
    plots = refreshed(view, qtbot)
    assert not plots.showing_plots()
    assert plots.message.isVisible() and "No feedback yet" in plots.message.text()
    assert plots.tag_curves == {}


def test_the_plots_follow_new_feedback_and_a_reset(view: ProfileView, profile: Profile, qtbot: Any) -> None:
    record(profile, MONDAY, "a", shown=["python"], accepted=["python"])
    plots = refreshed(view, qtbot)
    assert ys(plots.tag_curves["python"]) == [1] and ys(plots.rate_curve) == [100.0]
    record(profile, MONDAY, "b", shown=["python", "rust"], accepted=["rust"])
    plots = refreshed(view, qtbot)
    assert ys(plots.tag_curves["python"]) == [1] and ys(plots.tag_curves["rust"]) == [1]
    assert ys(plots.rate_curve) == [pytest.approx(100 * 2 / 3)]
    with qtbot.waitSignal(view.plots_loaded, timeout=10_000):
        view.reset(confirmed=True)  # a write on the relay, then the refresh it triggers
    assert not view.plots.showing_plots()


def test_a_tag_that_looks_like_markup_is_shown_as_written(view: ProfileView, profile: Profile, qtbot: Any) -> None:
    record(profile, MONDAY, "a", final=["<b>x</b>", "c++-&-co"])
    plots = refreshed(view, qtbot)
    assert sorted(label.item.toPlainText() for _, label in plots.legend.items) == ["<b>x</b>", "c++-&-co"]


def test_the_lines_are_drawn(view: ProfileView, profile: Profile, qtbot: Any) -> None:
    for n in range(6):
        record(profile, MONDAY + timedelta(days=n), f"i{n}", shown=["python"], accepted=["python"] * (n % 2))
    plots = refreshed(view, qtbot)
    image = plots.charts.grab().toImage()
    line = QColor(LINE_COLOURS[0])
    near = sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
        if _close(QColor(image.pixel(x, y)), line)
    )
    assert near > 50  # pixels of the first line's colour: the chart is painted, not just configured


def test_the_date_axis_reads_as_years_months_or_days() -> None:
    axis = DateAxis()
    when = timestamp(date(2024, 3, 15))
    assert axis.tickStrings([when], 1.0, 365 * DAY_SECONDS) == ["2024"]
    assert axis.tickStrings([when], 1.0, 31 * DAY_SECONDS) == ["2024-03"]
    assert axis.tickStrings([when], 1.0, DAY_SECONDS) == ["03-15"]


def test_the_plots_speak_chinese(qtbot: Any, profile: Profile) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.translations import install, uninstall

    translator = install(QApplication.instance(), "zh_CN")
    assert translator is not None
    try:
        plots = ProfilePlots()
        qtbot.addWidget(plots)
        plots.show_timeline(profile.timeline(DEFAULT_USER))
        assert plots.message.text().startswith("还没有反馈")
        record(profile, MONDAY, "a", shown=["中国女排"], accepted=["中国女排"])
        plots.show_timeline(profile.timeline(DEFAULT_USER))
        assert plots.rate_plot.titleLabel.text == "采纳率"
        assert plots.tags_plot.titleLabel.text == "标签随时间的变化"
        assert plots.tags_plot.getAxis("left").labelText == "每天的条目数"
    finally:
        uninstall(QApplication.instance(), translator)


def _close(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40
