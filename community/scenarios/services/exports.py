"""CSV and XLSX downloads of a published list issue, made from its snapshots only.

The header row is in the reader's language, codes become their words (类型, 规模, 状态, 成熟度), budgets read
like 10万–50万元. CSV is UTF-8 with a byte order mark so that Excel opens Chinese text correctly; cells that
a spreadsheet would take for a formula are neutralised in both formats.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from community.i18n import _, ngettext
from community.scenarios.labels import issue_title, label
from community.scenarios.models import ListKind
from community.scenarios.services.lists import CapabilityView, ScenarioView, item_views

if TYPE_CHECKING:
    from collections.abc import Sequence

    from community.scenarios.models import ListIssue
    from community.scenarios.services.lists import IssueSummary

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELL_MAX = 32_767  # Excel's limit for one cell
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def headers(kind: ListKind) -> list[str]:
    if kind is ListKind.SCENARIOS:
        return [
            _("No."),
            _("Title"),
            _("Kind"),
            _("Scale"),
            _("Domains"),
            _("District"),
            _("Abstract"),
            _("Budget"),
            _("Deadline"),
            _("Published by"),
            _("Status when listed"),
            _("Link"),
        ]
    return [
        _("No."),
        _("Organization"),
        _("District"),
        _("Team size"),
        _("Domains"),
        _("Summary"),
        _("Capabilities"),
        _("Verified on"),
        _("Link"),
    ]


def _domains(values: list[str]) -> str:
    return "、".join(values)


def rows(issue: ListIssue, base_url: str) -> list[list[str]]:
    """One row of text per item, in the issue's order; links are absolute."""
    base = base_url.rstrip("/")
    result: list[list[str]] = []
    for view in item_views(issue.list_kind, issue.items):
        link = base + view.url if view.url.startswith("/") else view.url
        if isinstance(view, ScenarioView):
            result.append(
                [
                    str(view.position),
                    view.title,
                    view.kind_label,
                    view.scale_label,
                    _domains(view.domains),
                    view.district,
                    view.abstract,
                    view.budget_text,
                    view.deadline.isoformat() if view.deadline else "",
                    view.organization,
                    view.status_label,
                    link,
                ]
            )
        else:
            assert isinstance(view, CapabilityView)
            result.append(
                [
                    str(view.position),
                    view.organization,
                    view.district,
                    str(view.team_size) if view.team_size is not None else "",
                    _domains(view.domains),
                    view.summary,
                    "\n".join(f"{e.domain} · {e.technology} · {e.maturity_label}" for e in view.items),
                    view.verified_at.date().isoformat() if view.verified_at else "",
                    link,
                ]
            )
    return result


def _csv_safe(value: str) -> str:
    """A cell Excel would run as a formula (=, +, -, @) is shown as text instead."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(issue: ListIssue, base_url: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(issue.list_kind))
    for row in rows(issue, base_url):
        writer.writerow([_csv_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_text(value: str) -> str:
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text[:CELL_MAX]


def sheet_title(issue: ListIssue) -> str:
    title = _SHEET_BAD.sub(" ", issue_title(issue.list_kind, issue.number)).strip("' ")
    return title[:31] or "Sheet1"


def to_xlsx(issue: ListIssue, base_url: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(issue)
    workbook.properties.title = issue_title(issue.list_kind, issue.number)
    head = headers(issue.list_kind)
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_index, row in enumerate(rows(issue, base_url), start=2):
        for col_index, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_index, column=col_index, value=_xlsx_text(value))
            # A string that starts with "=" would be stored as a formula: keep every value as text.
            cell.data_type = "s"
            cell.alignment = wrap
    widths = _column_widths(issue.list_kind)
    for col_index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=col_index).column_letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_widths(kind: ListKind) -> list[int]:
    if kind is ListKind.SCENARIOS:
        return [6, 36, 14, 18, 20, 16, 60, 18, 12, 28, 10, 40]
    return [6, 28, 16, 10, 20, 60, 50, 12, 40]


def download_name(issue: ListIssue, extension: str) -> tuple[str, str]:
    """第3期场景机会清单.xlsx in the reader's language (without characters file systems refuse), and an
    ASCII name for clients that do not read RFC 5987 (scenarios-issue-3.xlsx)."""
    name = _FILENAME_BAD.sub(" ", issue_title(issue.list_kind, issue.number)).strip(" .") or "list"
    return f"{name}.{extension}", f"{issue.list_kind.value}-issue-{issue.number}.{extension}"


def content_disposition(filename: str, fallback: str) -> str:
    """RFC 6266 / RFC 5987: the ASCII fallback in filename, the real UTF-8 name in filename*."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom_feed(
    kind: ListKind,
    issues: Sequence[IssueSummary],
    *,
    base_url: str,
    site_name: str,
    updated: datetime,
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of a list's published issues, newest first."""
    base = base_url.rstrip("/")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    list_url = f"{base}/lists/{kind.value}"
    # Unqualified names under a default namespace declared once on the root (no global ET registry).
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", list_url)
    sub(feed, "title", f"{label(kind)} · {site_name}")
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "link", rel="self", href=f"{list_url}/feed.atom", type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=list_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", site_name)
    for summary in issues:
        issue = summary.issue
        if issue.number is None or issue.published_at is None:
            continue
        url = f"{base}/lists/{kind.value}/{issue.number}"
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        title = issue_title(kind, issue.number)
        sub(entry, "title", f"{title}: {issue.title}" if issue.title else title)
        sub(entry, "updated", _rfc3339(issue.published_at))
        sub(entry, "published", _rfc3339(issue.published_at))
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "link", rel="enclosure", href=f"{url}.xlsx", type=XLSX_MEDIA_TYPE)
        count = ngettext("%(num)s item", "%(num)s items", summary.item_count) % {"num": summary.item_count}
        text = f"{count}\n\n{issue.introduction}" if issue.introduction else count
        sub(entry, "summary", text, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    """XML 1.0 cannot carry most control characters (or lone surrogates): drop them rather than fail."""
    return _XML_BAD.sub("", value).encode("utf-8", "replace").decode("utf-8")
