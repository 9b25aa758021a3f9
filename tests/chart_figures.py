"""Reading a page's server-drawn charts back (community.web.charts): what each drawing shows and what its
table says, to compare them with each other and with the page's own figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

Key = tuple[str, str]  # (series, category)


@dataclass
class Drawn:
    id: str
    title: str = ""
    svg_title_ids: str = ""
    marks: dict[Key, int] = field(default_factory=dict)  # what the SVG draws
    cells: dict[Key, int] = field(default_factory=dict)  # the table's data-value
    cell_text: dict[Key, str] = field(default_factory=dict)  # what the table reads

    def series(self, key: str) -> dict[str, int]:
        return {category: value for (s, category), value in self.marks.items() if s == key}

    def total(self, key: str) -> int:
        return sum(self.series(key).values())


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, Drawn] = {}
        self.current: Drawn | None = None
        self.depth = 0
        self.in_svg = False
        self.in_title = False
        self.cell: Key | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "figure" and "chart-figure" in a.get("class", ""):
            self.current = self.charts[a["id"]] = Drawn(a["id"])
            self.depth = 0
        if self.current is None:
            return
        if tag == "figure":
            self.depth += 1
        if tag == "svg":
            self.in_svg = True
            self.current.svg_title_ids = a.get("aria-labelledby", "")
        if tag == "title" and self.in_svg and not self.current.title:
            self.in_title = True
        if "data-series" in a:
            key = (a["data-series"], a["data-category"])
            if tag == "td":
                self.current.cells[key] = int(a["data-value"])
                self.cell = key
                self.current.cell_text[key] = ""
            elif self.in_svg:
                self.current.marks[key] = int(a["data-value"])

    def handle_endtag(self, tag: str) -> None:
        if self.current is None:
            return
        if tag == "title":
            self.in_title = False
        if tag == "svg":
            self.in_svg = False
        if tag == "td":
            self.cell = None
        if tag == "figure":
            self.depth -= 1
            if self.depth == 0:
                self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is None:
            return
        if self.in_title:
            self.current.title += data
        if self.cell is not None:
            self.current.cell_text[self.cell] += data


def charts_of(html: str) -> dict[str, Drawn]:
    """Every chart of a page by its id; each one's drawing checked against its own table on the way."""
    parser = _Charts()
    parser.feed(html)
    for chart in parser.charts.values():
        assert chart.marks == chart.cells, f"{chart.id}: the drawing and the table differ"
        for key, value in chart.cells.items():
            text = chart.cell_text[key].strip()
            if text.isdigit():  # plain counts read as they are drawn; amounts are compared by their tests
                assert int(text) == value, f"{chart.id} {key}: the table reads {text}, the drawing {value}"
    return parser.charts
