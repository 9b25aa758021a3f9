"""Reading an import file: CSV (UTF-8, GB18030 or UTF-16 text) or an XLSX workbook, into a header row and
numbered rows of text, within limits an honest spreadsheet never reaches.

What the file is decides how it is read, not what its name says. A formula arrives as its text and is never
evaluated; a workbook that unpacks to far more than its size (a "zip bomb") is refused unread.
"""

from __future__ import annotations

import csv
import importlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from community.i18n import _
from community.kernel.text import clean_line

if TYPE_CHECKING:
    from community.scenarios.services.import_rows import RowError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1_000
# An XLSX is a zip: refuse one that unpacks to far more than any honest 5 MB sheet (a "zip bomb").
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 60
MAX_SHEET_ROWS = 100_000  # physical rows scanned, blank ones included


class ImportRefused(Exception):
    """Nothing was imported: problems with the file (format, size, columns) and/or bad rows."""

    def __init__(self, problems: list[str], rows: list[RowError] | None = None, total_rows: int = 0) -> None:
        super().__init__(problems, rows)
        self.problems = problems
        self.rows = rows or []
        self.total_rows = total_rows


@dataclass
class Sheet:
    """The rows of a file: headers as written, then (spreadsheet row number, cells as text)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees in it (Excel gives numbers and dates as such)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" (UTF-16, tab separated)
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # what Excel in China saves as "CSV"
    except UnicodeDecodeError:
        raise ImportRefused(
            [_("The file is not readable text: save it as CSV UTF-8 (or GB18030), or as an .xlsx workbook.")]
        ) from None


def read_csv(data: bytes) -> Sheet:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=lambda d: (first_line.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(_limited(reader))
    except csv.Error as exc:
        raise ImportRefused(
            [
                _(
                    "The CSV file could not be read (%(reason)s). Save it again from the spreadsheet.",
                    reason=exc,
                )
            ]
        ) from None
    return _sheet(records)


def _limited(rows: Iterable[Iterable[Any]]) -> Iterator[list[str]]:
    """Rows as text, at most MAX_COLUMNS wide; stop past what an import may hold (the caller reports it)."""
    filled = 0
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(v) for v in list(row)[:MAX_COLUMNS]]
        while cells and not cells[-1]:  # a sheet read with max_col pads every row with empty cells
            cells.pop()
        if any(c.strip() for c in cells):
            filled += 1
        yield cells
        if filled > MAX_ROWS + 1 or number >= MAX_SHEET_ROWS:
            return


def read_xlsx(data: bytes) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused([_("The file is not a valid Excel .xlsx workbook.")]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportRefused([_("The workbook is too large once unpacked. Import fewer rows at a time.")])
    # openpyxl ships no type information; its workbook is used through Any.
    openpyxl: Any = importlib.import_module("openpyxl")
    try:
        # data_only=False: a formula arrives as its text ("=HYPERLINK(...)") and is refused, never evaluated.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (bad XML, missing parts, not a workbook)
        raise ImportRefused([_("The file is not a valid Excel .xlsx workbook.")]) from None
    try:
        if not workbook.worksheets:
            raise ImportRefused([_("The workbook has no sheet.")])
        sheet = workbook.worksheets[0]
        records = list(_limited(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)))
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused([_("The file is not a valid Excel .xlsx workbook.")]) from None
    finally:
        workbook.close()
    return _sheet(records)


def _sheet(records: list[list[str]]) -> Sheet:
    numbered = [(n, cells) for n, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise ImportRefused([_("The file is empty.")])
    # Blank rows above the header are skipped; rows keep the numbers the spreadsheet shows.
    _header_row, headers = numbered[0]
    rows = numbered[1:]
    if not rows:
        raise ImportRefused([_("The file has a header row but no scenarios under it.")])
    if len(rows) > MAX_ROWS:
        raise ImportRefused(
            [
                _(
                    "The file has more than %(n)s rows. Split it into several files of at most %(n)s rows.",
                    n=MAX_ROWS,
                )
            ]
        )
    return Sheet(headers=[clean_line(h) for h in headers], rows=rows)


def read_upload(filename: str, data: bytes) -> Sheet:
    """Parse the upload by what it is (not by what its name says): XLSX, old XLS (refused) or CSV text."""
    if not data.strip():
        raise ImportRefused([_("The file is empty.")])
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            [
                _(
                    "The file is larger than %(mb)s MB. Split it into smaller files.",
                    mb=MAX_BYTES // (1024 * 1024),
                )
            ]
        )
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            [_("Old Excel .xls files are not supported: save the sheet as .xlsx or as CSV UTF-8.")]
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportRefused([_("The file is not a valid Excel .xlsx workbook.")])
    binary = b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    extension = name.rsplit(".", 1)[1] if "." in name else ""
    if binary or extension not in ("csv", "txt", "tsv", ""):
        raise ImportRefused(
            [_("Upload a CSV file or an Excel .xlsx workbook (download the template below).")]
        )
    return read_csv(data)
