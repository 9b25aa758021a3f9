"""Exports people open elsewhere: CSV and XLSX (every cell kept as text, with the formula guard), Atom
feeds, and download names.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) as a
formula, so text from members could run there ("CSV injection"): such a cell gets a leading quote in CSV,
and XLSX cells are always stored as strings.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
CELL_MAX = 32_767  # what one Excel cell holds
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet would run as a formula is kept as text instead."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads Chinese), CRLF line ends, every cell guarded."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_text(value: object) -> str:
    """What a cell can hold: no characters XML refuses, at most ``CELL_MAX`` of them."""
    text: str = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    return text[:CELL_MAX]


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters."""
    return _SHEET_BAD.sub(" ", title).strip("' ")[:31] or "Sheet1"


def to_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str, widths: Sequence[int] = ()
) -> bytes:
    """One sheet: a bold, frozen header row, then the values, wrapped: numbers as numbers, everything else as
    text (never a formula)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    workbook.properties.title = title
    sheet.append([xlsx_text(cell) for cell in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_index, row in enumerate(rows, start=2):
        for col_index, value in enumerate(row, start=1):
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                # A number stays a number (sums work), and can never run as a formula.
                sheet.cell(row=row_index, column=col_index, value=value).alignment = wrap
                continue
            cell = sheet.cell(row=row_index, column=col_index, value=xlsx_text(value))
            cell.data_type = "s"  # a string starting with "=" would otherwise be stored as a formula
            cell.alignment = wrap
    for col_index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=col_index).column_letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download_name(title: str, extension: str, fallback: str) -> tuple[str, str]:
    """A file name in the reader's language without characters file systems refuse, and an ASCII name
    for clients that do not read RFC 5987."""
    name = _FILENAME_BAD.sub(" ", title).strip(" .") or "download"
    return f"{name}.{extension}", f"{fallback}.{extension}"


def content_disposition(filename: str, fallback: str) -> str:
    """RFC 6266 / RFC 5987: the ASCII fallback in ``filename``, the real UTF-8 name in ``filename*``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- Atom (RFC 4287) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtomLink:
    href: str
    rel: str = "alternate"
    type: str = "text/html"


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime
    url: str
    published: datetime | None = None
    summary: str = ""
    author: str = ""
    enclosures: Sequence[AtomLink] = field(default_factory=tuple)
    categories: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (term, label); label may be ""


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def xml_text(value: str) -> str:
    """XML 1.0 cannot carry most control characters (or lone surrogates): drop them rather than fail."""
    return _XML_BAD.sub("", value).encode("utf-8", "replace").decode("utf-8")


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    page_url: str,
    updated: datetime,
    entries: Iterable[AtomEntry],
    author: str,
) -> bytes:
    """An Atom 1.0 feed; every address absolute (the caller builds them from ``BASE_URL``)."""

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = xml_text(text)
        return element

    # Unqualified names under a default namespace declared once on the root (no global ET registry).
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", rfc3339(updated))
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    sub(sub(feed, "author"), "name", author)
    for entry in entries:
        element = sub(feed, "entry")
        sub(element, "id", entry.id)
        sub(element, "title", entry.title)
        sub(element, "updated", rfc3339(entry.updated))
        if entry.published is not None:
            sub(element, "published", rfc3339(entry.published))
        sub(element, "link", rel="alternate", href=entry.url, type="text/html")
        for link in entry.enclosures:
            sub(element, "link", rel=link.rel, href=link.href, type=link.type)
        if entry.author:
            sub(sub(element, "author"), "name", entry.author)
        for term, label in entry.categories:
            sub(element, "category", term=term, **({"label": label} if label else {}))
        if entry.summary:
            sub(element, "summary", entry.summary, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
