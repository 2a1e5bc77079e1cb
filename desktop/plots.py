"""The profile's plots (pyqtgraph): the user's top tags over time, one line each, and the accept rate per
period, 0–100 %, on one shared date axis. Without events a message takes their place instead of empty axes.

``ProfilePlots`` only draws a ``Timeline`` it is given (``show_timeline``); the profile view reads it from
the profile off the UI thread. The plots are static (no mouse zoom or menu), so scrolling the view never
moves them, and follow the widget palette (light or dark).
"""

from __future__ import annotations

import calendar
import html
import math
import os
from datetime import UTC, date, datetime

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # the app's binding, whatever else is installed

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from tagrec_core.profile import Timeline

# Okabe–Ito: colours that stay apart for colour-blind readers; more tags than colours reuse them in order.
LINE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#7F7F7F", "#000000")
DAY_SECONDS = 86_400
# Each end of the date axis shows at least this much more than the data, so a history of one day still has
# dated ticks (the axis would otherwise switch to hours) and the first and last points are not on the frame.
MIN_MARGIN_DAYS = 4
LEFT_AXIS_PIXELS = 64


def timestamp(day: date) -> float:
    """Seconds since the epoch at midnight UTC of ``day``: the x of a period that starts on ``day``."""
    return float(calendar.timegm(day.timetuple()))


class DateAxis(pg.DateAxisItem):
    """A date axis in UTC with numeric labels (``2024``, ``2024-03``, ``03-15``), which read the same in
    English and Chinese; pyqtgraph's own month names are English only."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom", utcOffset=0)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing >= 360 * DAY_SECONDS:
            pattern = "%Y"
        elif spacing >= 28 * DAY_SECONDS:
            pattern = "%Y-%m"
        else:
            pattern = "%m-%d"
        return [_date_text(value, pattern) for value in values]


class CountAxis(pg.AxisItem):
    """A left axis for counts of items: ticks at whole numbers only (never "0.5 items")."""

    def __init__(self) -> None:
        super().__init__(orientation="left")

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        levels = [(spacing, values) for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        if levels:
            return [(spacing, [v for v in values if float(v).is_integer()]) for spacing, values in levels]
        return [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]


class ProfilePlots(QWidget):
    """Two charts of a ``Timeline`` over one date axis, or a message (no events, loading, an error).

    For tests and callers: ``tag_curves`` maps each plotted tag to its line, ``rate_curve`` is the accept
    rate line (``nan`` where nothing was shown), ``legend`` lists the tags, ``message`` is the text shown
    instead of the charts, ``showing_plots()`` says which of the two is visible.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tag_curves: dict[str, pg.PlotDataItem] = {}
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.charts = pg.GraphicsLayoutWidget()
        self.charts.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.tags_plot = self.charts.addPlot(row=0, col=0, axisItems={"bottom": DateAxis(), "left": CountAxis()})
        self.legend = pg.LegendItem(offset=None, labelTextColor=self._text_colour(), frame=False)
        self.charts.addItem(self.legend, row=0, col=1)  # beside the lines, never over them
        self.charts.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)  # compact, not spread out
        self.rate_plot = self.charts.addPlot(row=1, col=0, axisItems={"bottom": DateAxis()})
        self.rate_plot.setXLink(self.tags_plot)
        self.rate_curve = self.rate_plot.plot(
            [], [], pen=pg.mkPen(LINE_COLOURS[0], width=2), symbol="o", symbolSize=6, connect="finite"
        )
        for plot in (self.tags_plot, self.rate_plot):
            self._style(plot)
        self.rate_plot.setYRange(-4, 104, padding=0)  # a little below 0 and above 100: their labels show
        self.rate_plot.getAxis("left").setTicks([[(v, f"{v}%") for v in (0, 25, 50, 75, 100)]])
        self.rate_plot.setLabel("left", self.tr("of the tags shown, accepted"))

        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.charts)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.show_message(self.tr("Loading the history…"))

    # --- what is shown ---------------------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """Show ``text`` in place of the charts (loading, an error)."""
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def showing_plots(self) -> bool:
        return self.stack.currentWidget() is self.charts

    def show_timeline(self, timeline: Timeline) -> None:
        """Draw ``timeline``: a line per top tag (uses per period) and the accept rate; a message when empty."""
        if timeline.empty:
            self.show_message(
                self.tr(
                    "No feedback yet. Accept or reject suggested tags, and your tags over time and your accept "
                    "rate appear here."
                )
            )
            return
        xs = [timestamp(p.start) for p in timeline.periods]
        self._draw_tags(timeline, xs)
        self._draw_rates(timeline, xs)
        self._set_ranges(timeline, xs)
        self.stack.setCurrentWidget(self.charts)

    def _draw_tags(self, timeline: Timeline, xs: list[float]) -> None:
        for curve in self.tag_curves.values():
            self.tags_plot.removeItem(curve)
        self.legend.clear()
        self.tag_curves = {}
        for index, tag in enumerate(timeline.top_tags):
            colour = LINE_COLOURS[index % len(LINE_COLOURS)]
            curve = self.tags_plot.plot(
                xs, timeline.uses(tag), pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5, symbolBrush=colour
            )
            self.legend.addItem(curve, html.escape(tag))  # legend labels are rich text: a tag is not markup
            self.tag_curves[tag] = curve
        self.tags_plot.setTitle(self._tags_title(timeline), color=self._text_colour())
        self.tags_plot.setLabel("left", self._uses_label(timeline))
        self.legend.setVisible(bool(self.tag_curves))
        self.legend.setMaximumHeight(self.legend.layout.preferredHeight())  # rows together at the top

    def _draw_rates(self, timeline: Timeline, xs: list[float]) -> None:
        """The accept rate in %, ``nan`` (a gap in the line) where nothing was shown."""
        rates = [math.nan if rate is None else 100 * rate for rate in timeline.accept_rates()]
        if all(math.isnan(rate) for rate in rates):
            # pyqtgraph warns on data that is nan only; and a title says why the chart is blank
            self.rate_curve.setData([], [])
            self.rate_plot.setTitle(self.tr("Accept rate: no suggestions shown yet"), color=self._text_colour())
            return
        self.rate_curve.setData(xs, rates, connect="finite")
        self.rate_plot.setTitle(self.tr("Accept rate"), color=self._text_colour())

    def _set_ranges(self, timeline: Timeline, xs: list[float]) -> None:
        margin = max(MIN_MARGIN_DAYS * DAY_SECONDS, (xs[-1] - xs[0]) * 0.03)
        self.tags_plot.setXRange(xs[0] - margin, xs[-1] + margin, padding=0)
        highest = max((max(timeline.uses(tag)) for tag in timeline.top_tags), default=0)
        top = max(highest, 1) * 1.08
        self.tags_plot.setYRange(-top * 0.04, top, padding=0)  # a little below 0: its label shows

    def _tags_title(self, timeline: Timeline) -> str:
        if not timeline.top_tags:
            return self.tr("Tags over time: no tag on any item yet")
        return self.tr("Tags over time")

    def _uses_label(self, timeline: Timeline) -> str:
        labels = {
            "day": self.tr("items per day"),
            "week": self.tr("items per week"),
            "month": self.tr("items per month"),
        }
        return labels[timeline.period]

    # --- look ------------------------------------------------------------------------------------------------

    def _text_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Text)

    def _style(self, plot: pg.PlotItem) -> None:
        """Axes in the palette's text colour, a light grid, no mouse zoom, menu or auto-range button."""
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(self._text_colour())
            axis.setTextPen(self._text_colour())
        plot.getAxis("left").setWidth(LEFT_AXIS_PIXELS)  # the same in both plots, so their dates line up
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()


def _date_text(seconds: float, pattern: str) -> str:
    """``seconds`` since the epoch as a UTC date in ``pattern``; empty for a value no date has."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime(pattern)
    except (OverflowError, OSError, ValueError):
        return ""
