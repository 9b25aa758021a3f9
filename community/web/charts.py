"""Charts drawn on the server: inline SVG with no script and no style attribute (the site's CSP allows
neither), coloured by the stylesheet's classes, scaled to the width of a phone by its viewBox.

A chart is one of three shapes:

- ``bars``: horizontal bars, one row per category; several series are stacked (parts of a whole: the
  budget used, held, available) or grouped (``stacked=False``: a policy's organizations qualifying, told,
  opened);
- ``columns``: vertical stacked columns over time (interest per month: answered in time, late, not);
- ``line``: one line per series over time (published, docking, landed per month), with an optional
  reference line (a budget, a capacity).

Each chart is a ``<figure>``: the SVG (``role="img"``, named by its ``<title>`` and described by its
``<desc>``), a legend, and its figures as a table for screen readers (visually hidden unless the page has no
other table of them). Every mark and every cell carries ``data-series``, ``data-category`` and
``data-value``, so the figures can be read back and compared. Render it in a template with ``{{ chart }}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from babel.dates import format_skeleton
from markupsafe import Markup, escape

from community import i18n

if TYPE_CHECKING:
    from datetime import date

Kind = Literal["bars", "columns", "line"]

WIDTH = 400  # the viewBox: a phone shows it at about its own size, so 12-unit text stays readable
ROW = 46  # a horizontal bar's row: its label above, the bar below
BAR = 18
PLOT_HEIGHT = 180
LEFT = 40  # room for the vertical axis' numbers
BOTTOM = 34  # room for the periods under the plot
TOP = 12
MAX_TICK_LABELS = 6


@dataclass(frozen=True)
class Series:
    key: str  # a stable name, used in data-series
    label: str  # what a reader sees


@dataclass(frozen=True)
class Reference:
    label: str
    value: int


def _plain(value: int) -> str:
    return str(value)


@dataclass(frozen=True)
class Chart:
    id: str  # unique on its page; ids of the title, description and table start with it
    title: str
    description: str
    kind: Kind
    series: Sequence[Series]
    categories: Sequence[str]  # rows of a bar chart, periods of a column or line chart
    values: Sequence[Sequence[int]]  # values[category][series]
    reference: Reference | None = None
    links: Sequence[str] | None = None  # the table's category cells link here when given
    table_visible: bool = False
    axis_labels: Sequence[str] | None = None  # shorter names of the periods under a plot (3月, Mar)
    stacked: bool = True  # bars: several series make one bar (parts of a whole) or one bar each
    formatter: Callable[[int], str] = field(default=_plain)

    def __post_init__(self) -> None:
        if len(self.values) != len(self.categories) or any(len(v) != len(self.series) for v in self.values):
            raise ValueError("a chart needs one value per category and series")

    def total(self, series_key: str) -> int:
        index = [s.key for s in self.series].index(series_key)
        return sum(row[index] for row in self.values)

    def __html__(self) -> str:
        return str(figure(self))


def month_label(first: date) -> str:
    """A month as a reader says it: 2026年3月, Mar 2026."""
    return format_skeleton("yMMM", first, locale=i18n.current_locale())


def month_axis_labels(firsts: Sequence[date]) -> list[str]:
    """Months under a plot: the year with the first one and with each January (2026年1月, 2月...)."""
    locale = i18n.current_locale()
    return [
        format_skeleton("yMMM" if i == 0 or first.month == 1 else "MMM", first, locale=locale)
        for i, first in enumerate(firsts)
    ]


def day_label(day: date) -> str:
    """A week by its first day: 3月2日, Mar 2."""
    return format_skeleton("MMMd", day, locale=i18n.current_locale())


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at least ``value`` (and at least 1): the top of an axis."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _mark_attrs(chart: Chart, category: int, series: int) -> Markup:
    return Markup(' data-series="{}" data-category="{}" data-value="{}"').format(
        chart.series[series].key, chart.categories[category], chart.values[category][series]
    )


def _mark_title(chart: Chart, category: int, series: int) -> Markup:
    text = f"{chart.categories[category]} · {chart.series[series].label}: "
    text += chart.formatter(chart.values[category][series])
    return Markup("<title>{}</title>").format(text)


def _bars(chart: Chart) -> tuple[int, list[Markup]]:
    """One row per category: its name, then its bar (stacked series) or one bar per series (grouped)."""
    grouped = not chart.stacked and len(chart.series) > 1
    if grouped:
        top = max((max(row, default=0) for row in chart.values), default=0)
    else:
        top = max((sum(row) for row in chart.values), default=0)
    if chart.reference is not None:
        top = max(top, chart.reference.value)
    scale = (WIDTH - 70) / top if top else 0.0
    bars_per_row = len(chart.series) if grouped else 1
    row_height = ROW + (bars_per_row - 1) * (BAR + 2)
    parts: list[Markup] = []

    def bar(c: int, s: int, x: float, y: float) -> Markup:
        return Markup('<rect class="chart-mark s{}" x="{}" y="{}" width="{}" height="{}"{}>{}</rect>').format(
            s,
            _number(x),
            _number(y),
            _number(chart.values[c][s] * scale),
            BAR,
            _mark_attrs(chart, c, s),
            _mark_title(chart, c, s),
        )

    def value_text(x: float, y: float, value: int) -> Markup:
        return Markup('<text class="chart-value" x="{}" y="{}" font-size="12">{}</text>').format(
            _number(x + 4), _number(y + BAR - 4), chart.formatter(value)
        )

    for c, row in enumerate(chart.values):
        y = c * row_height
        parts.append(
            Markup('<text class="chart-label" x="0" y="{}" font-size="13">{}</text>').format(
                y + 14, chart.categories[c]
            )
        )
        if grouped:
            for s, value in enumerate(row):
                top_of_bar = y + 20 + s * (BAR + 2)
                parts.append(bar(c, s, 0, top_of_bar))
                parts.append(value_text(value * scale, top_of_bar, value))
            continue
        x = 0.0
        for s, value in enumerate(row):
            parts.append(bar(c, s, x, y + 20))
            x += value * scale
        parts.append(value_text(x, y + 20, sum(row)))
    bottom = max(len(chart.values), 1) * row_height
    if chart.reference is not None and scale:
        x = chart.reference.value * scale
        parts.append(
            Markup(
                '<line class="chart-reference" x1="{x}" x2="{x}" y1="16" y2="{b}" data-value="{v}"/>'
            ).format(x=_number(x), b=bottom, v=chart.reference.value)
        )
    return bottom, parts


def _over_time(chart: Chart) -> tuple[int, list[Markup]]:
    if chart.kind == "columns":
        top = max((sum(row) for row in chart.values), default=0)
    else:
        top = max((max(row, default=0) for row in chart.values), default=0)
    if chart.reference is not None:
        top = max(top, chart.reference.value)
    ceiling = nice_ceiling(top)
    plot_width = WIDTH - LEFT - 8
    n = max(len(chart.categories), 1)
    step = plot_width / n
    bottom = TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return bottom - value / ceiling * PLOT_HEIGHT

    parts: list[Markup] = []
    parts_of_axis = next(n for n in (5, 4, 2, 1) if ceiling % n == 0)
    for tick in range(parts_of_axis + 1):  # the axis in whole steps: 0, 1, ... 5; 0, 20, ... 100
        value = ceiling // parts_of_axis * tick
        y = y_of(value)
        parts.append(
            Markup('<line class="chart-grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/>').format(
                LEFT, WIDTH - 8, y=_number(y)
            )
        )
        parts.append(
            Markup(
                '<text class="chart-axis" x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
            ).format(
                LEFT - 4,
                _number(y + 4),
                chart.formatter(round(value)) if value == int(value) else _number(value),
            )
        )
    every = math.ceil(n / MAX_TICK_LABELS)
    for c, name in enumerate(chart.axis_labels or chart.categories):
        if c % every == 0:
            parts.append(
                Markup(
                    '<text class="chart-axis" x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>'
                ).format(_number(LEFT + step * (c + 0.5)), bottom + 16, name)
            )
    if chart.kind == "columns":
        for c, row in enumerate(chart.values):
            base = 0
            for s, value in enumerate(row):
                y = y_of(base + value)
                parts.append(
                    Markup(
                        '<rect class="chart-mark s{}" x="{}" y="{}" width="{}" height="{}"{}>{}</rect>'
                    ).format(
                        s,
                        _number(LEFT + step * c + step * 0.15),
                        _number(y),
                        _number(step * 0.7),
                        _number(y_of(base) - y),
                        _mark_attrs(chart, c, s),
                        _mark_title(chart, c, s),
                    )
                )
                base += value
    else:
        for s in range(len(chart.series)):
            points = " ".join(
                f"{_number(LEFT + step * (c + 0.5))},{_number(y_of(row[s]))}"
                for c, row in enumerate(chart.values)
            )
            parts.append(Markup('<polyline class="chart-line s{}" points="{}"/>').format(s, points))
            for c, row in enumerate(chart.values):
                parts.append(
                    Markup('<circle class="chart-mark s{}" cx="{}" cy="{}" r="3.5"{}>{}</circle>').format(
                        s,
                        _number(LEFT + step * (c + 0.5)),
                        _number(y_of(row[s])),
                        _mark_attrs(chart, c, s),
                        _mark_title(chart, c, s),
                    )
                )
    if chart.reference is not None:
        y = y_of(chart.reference.value)
        parts.append(
            Markup(
                '<line class="chart-reference" x1="{}" x2="{}" y1="{y}" y2="{y}" data-value="{}"/>'
            ).format(LEFT, WIDTH - 8, chart.reference.value, y=_number(y))
        )
        parts.append(
            Markup(
                '<text class="chart-axis" x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
            ).format(WIDTH - 8, _number(max(y - 4, 10)), chart.reference.label)
        )
    return bottom + BOTTOM, parts


def svg(chart: Chart) -> Markup:
    height, parts = _bars(chart) if chart.kind == "bars" else _over_time(chart)
    return Markup(
        '<svg class="chart chart-{kind}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMinYMin meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{parts}</svg>'
    ).format(
        kind=chart.kind,
        w=WIDTH,
        h=height,
        id=chart.id,
        title=chart.title,
        desc=chart.description,
        parts=Markup("").join(parts),
    )


def table(chart: Chart, category_header: str = "") -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(s.label) for s in chart.series)
    rows: list[Markup] = []
    for c, name in enumerate(chart.categories):
        label = Markup('<a href="{}">{}</a>').format(chart.links[c], name) if chart.links else escape(name)
        cells = Markup("").join(
            Markup("<td{}>{}</td>").format(_mark_attrs(chart, c, s), chart.formatter(chart.values[c][s]))
            for s in range(len(chart.series))
        )
        rows.append(Markup('<tr><th scope="row">{}</th>{}</tr>').format(label, cells))
    caption = escape(chart.title)
    if chart.reference is not None:
        caption += Markup(" ({}: {})").format(chart.reference.label, chart.formatter(chart.reference.value))
    return Markup(
        '<table class="{cls}" id="{id}-table"><caption>{title}</caption>'
        '<thead><tr><th scope="col">{corner}</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    ).format(
        cls="table chart-data" if chart.table_visible else "visually-hidden chart-data",
        id=chart.id,
        title=caption,
        corner=category_header,
        head=head,
        rows=Markup("").join(rows),
    )


def legend(chart: Chart) -> Markup:
    items = [Markup('<li class="s{}">{}</li>').format(i, s.label) for i, s in enumerate(chart.series)]
    if chart.reference is not None:
        items.append(Markup('<li class="reference">{}</li>').format(chart.reference.label))
    if len(items) < 2:
        return Markup("")
    return Markup('<ul class="chart-legend" aria-hidden="true">{}</ul>').format(Markup("").join(items))


def figure(chart: Chart) -> Markup:
    """The chart as the page shows it: the drawing, its legend, its figures as a table."""
    empty = not chart.categories
    body = Markup('<p class="empty">—</p>') if empty else Markup("{}{}").format(svg(chart), legend(chart))
    return Markup('<figure class="chart-figure" id="{}">{}{}</figure>').format(chart.id, body, table(chart))
