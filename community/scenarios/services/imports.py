"""Bulk import of scenarios from a spreadsheet (CSV or XLSX), for admins and the district teams they serve.

Every row or nothing: the file is read, every row is checked with the same rules as the form
(``validate_scenario(complete=True)``) plus the publishing organization, and only when no row has an
error are all rows created, in one transaction, through ``ScenarioService`` (so timelines, search
documents and notifications are the same as for a scenario typed in by hand). Otherwise the report names
each bad row (as the spreadsheet numbers it: the header is row 1) and column (as the file's header says
it) with the message.
"""

from __future__ import annotations

import asyncio
import csv
import importlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from community.accounts.models import Organization, User
from community.accounts.services import clean_text
from community.errors import Forbidden, FormError
from community.i18n import _
from community.scenarios.models import Scenario, ScenarioEvent, ScenarioKind, ScenarioScale, ScenarioStatus
from community.scenarios.services.scenarios import AUTHOR_ORG_TYPES, ScenarioService, today
from community.scenarios.services.validation import ScenarioInput, validate_scenario

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1_000
# An XLSX is a zip: refuse one that unpacks to far more than any honest 5 MB sheet (a "zip bomb").
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 60
MAX_SHEET_ROWS = 100_000  # physical rows scanned, blank ones included
VALUE_PREVIEW = 60
IMPORT_ACTION = "imported"
# pg_advisory_xact_lock key that serializes imports (any fixed 64-bit number; "scenario" in ASCII)
IMPORT_LOCK_KEY = 0x7363656E6172696F

# field -> the headers people write for it (compared after _header_key()); the first is the template's.
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "场景名称", "场景标题", "名称", "title", "name"),
    "kind": ("类型", "场景类型", "kind", "type"),
    "scale": ("规模", "场景规模", "scale"),
    "domains": ("领域", "应用领域", "所属领域", "domains", "domain"),
    "district": ("区域", "所在区", "所在区域", "行政区", "district"),
    "abstract": ("摘要", "公开摘要", "简介", "abstract", "summary"),
    "description": ("详细描述", "描述", "需求描述", "场景描述", "description", "details"),
    "expected_outcome": ("预期成效", "预期效果", "expected_outcome", "expectedoutcome", "outcome"),
    "budget": ("预算", "预算金额", "budget"),
    "deadline": ("截止日期", "截止时间", "deadline"),
    "contact_name": ("联系人", "contact_name", "contactname", "contact"),
    "contact_phone": ("电话", "联系电话", "手机", "contact_phone", "contactphone", "phone"),
    "contact_email": ("邮箱", "电子邮箱", "联系邮箱", "contact_email", "contactemail", "email"),
    "organization": ("发布单位", "单位", "组织", "organization", "organisation", "org"),
}
REQUIRED = (
    "title", "kind", "scale", "domains", "district", "abstract", "description", "expected_outcome",
    "budget", "contact_name",
)  # fmt: skip
# Which column a validation error belongs to (the budget is one column but three fields).
FIELD_COLUMN = {"budget_mode": "budget", "budget_min": "budget", "budget_max": "budget"}

KIND_WORDS: dict[str, ScenarioKind] = {
    "真实业务需求": ScenarioKind.NEED,
    "业务需求": ScenarioKind.NEED,
    "需求": ScenarioKind.NEED,
    "real business need": ScenarioKind.NEED,
    "技术瓶颈": ScenarioKind.BOTTLENECK,
    "瓶颈": ScenarioKind.BOTTLENECK,
    "technical bottleneck": ScenarioKind.BOTTLENECK,
    "标杆案例": ScenarioKind.BENCHMARK,
    "案例": ScenarioKind.BENCHMARK,
    "benchmark case": ScenarioKind.BENCHMARK,
}
SCALE_WORDS: dict[str, ScenarioScale] = {
    "综合性重大场景": ScenarioScale.MAJOR,
    "重大场景": ScenarioScale.MAJOR,
    "comprehensive major scenario": ScenarioScale.MAJOR,
    "行业领域集成式场景": ScenarioScale.INTEGRATED,
    "集成式场景": ScenarioScale.INTEGRATED,
    "industry integrated scenario": ScenarioScale.INTEGRATED,
    "高价值小切口场景": ScenarioScale.FOCUSED,
    "小切口场景": ScenarioScale.FOCUSED,
    "high-value focused scenario": ScenarioScale.FOCUSED,
}
NEGOTIABLE_WORDS = frozenset({"面议", "待议", "协商", "议价", "negotiable", "to be negotiated", "tbd"})
_RANGE_SPLIT = re.compile(r"\s*(?:-|~|～|—|–|至|到|to)\s*")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")

TEMPLATE_HEADERS = [names[0] for names in COLUMNS.values()]


def template_example(on: date | None = None) -> list[str]:
    """One believable row under the template's headers (its deadline a quarter from now)."""
    deadline = (on or today()) + timedelta(days=90)
    return [
        "社区养老服务热线智能问答",
        "真实业务需求",
        "高价值小切口场景",
        "城市服务、政务服务",
        "江岸区",
        "为区养老服务热线建设基于大模型的知识库问答，覆盖政策咨询与服务预约。",
        "现有热线日均来电约 800 通，70% 为重复的政策咨询。希望：\n1. 接入现有知识库；\n2. 支持方言语音。",
        "重复咨询自动答复率达到 60% 以上，人工坐席等待时间减半。",
        "10万-50万",
        deadline.isoformat(),
        "孙丽",
        "027-8888 0000",
        "contact@example.com",
        "jiangan-data-bureau",
    ]


# --- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One bad cell: the spreadsheet's row number, the column as the file names it, and what is wrong."""

    row: int
    column: str
    message: str
    value: str = ""


class ImportRefused(Exception):
    """Nothing was imported: problems with the file (format, size, columns) and/or bad rows."""

    def __init__(self, problems: list[str], rows: list[RowError] | None = None, total_rows: int = 0) -> None:
        super().__init__(problems, rows)
        self.problems = problems
        self.rows = rows or []
        self.total_rows = total_rows


@dataclass(frozen=True)
class ImportedScenario:
    row: int
    scenario_id: Any
    title: str
    organization_name: str


@dataclass
class ImportResult:
    filename: str
    status: ScenarioStatus
    scenarios: list[ImportedScenario] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# --- reading the file ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The rows of a file: headers as written, then (spreadsheet row number, cells as text)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def _header_key(header: str) -> str:
    """'预算（元）*' and ' Contact Email ' match '预算' and 'contact_email'."""
    text = unicodedata.normalize("NFKC", clean_text(header)).lower()
    text = re.sub(r"\(.*?\)", "", text)  # NFKC turned （） into ()
    return re.sub(r"[\s*_\-:：]+", "", text)


_ALIASES = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


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
    return Sheet(headers=[clean_text(h) for h in headers], rows=rows)


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


# --- checking the rows -----------------------------------------------------------------------------------


def _choice(raw: str, words: dict[str, Any], codes: Iterable[str]) -> str:
    text = clean_text(raw)
    key = text.lower()
    if key in codes:
        return key
    found = words.get(key) or words.get(text)
    return found.value if found is not None else text


def _budget(raw: str) -> dict[str, str]:
    """'面议', '20万', '10万-50万', '200000' -> the budget fields the form sends."""
    text = unicodedata.normalize("NFKC", clean_text(raw)).replace("元", "").replace("人民币", "").strip()
    if not text:
        return {"budget_mode": ""}
    if text.lower() in NEGOTIABLE_WORDS:
        return {"budget_mode": "negotiable"}
    parts = _RANGE_SPLIT.split(text, maxsplit=1) if not text.startswith("-") else [text]
    if len(parts) == 2 and parts[0] and parts[1]:
        low, high = parts
        if high.endswith("万") and not low.endswith("万"):  # "10-50万" means 10万-50万
            low += "万"
        return {"budget_mode": "range", "budget_min": low, "budget_max": high}
    return {"budget_mode": "amount", "budget_min": text, "budget_max": text}


def _deadline(raw: str) -> str:
    text = unicodedata.normalize("NFKC", clean_text(raw))
    match = _DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # field -> raw text
    data: ScenarioInput | None = None
    organization: Organization | None = None


class ImportService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.scenarios = ScenarioService(db)

    async def import_file(
        self,
        admin: User,
        filename: str,
        data: bytes,
        *,
        publish: bool,
        default_organization: str = "",
    ) -> ImportResult:
        """Import every row of the file, or none; raises ImportRefused with the report when any is bad."""
        if not admin.is_admin:
            raise Forbidden
        filename = clean_text(filename).replace("/", "_").replace("\\", "_")[-200:] or "upload"
        sheet = await asyncio.to_thread(read_upload, filename, data)
        columns, ignored = self._columns(sheet.headers)
        default_org = await self._default_org(default_organization)
        missing = [name for name in REQUIRED if name not in columns]
        if "organization" not in columns and default_org is None:
            missing.append("organization")
        problems = []
        if missing:
            problems.append(
                _(
                    "Required columns are missing: %(columns)s. Use the headers of the template.",
                    columns="、".join(COLUMNS[name][0] for name in missing),
                )
            )
        if "contact_phone" not in columns and "contact_email" not in columns:
            problems.append(_("Add a column 电话 (phone) or 邮箱 (email) for the contact."))
        duplicated = [h for h in sheet.headers if h and sheet.headers.count(h) > 1]
        if duplicated:
            problems.append(
                _("These columns appear twice: %(columns)s.", columns="、".join(dict.fromkeys(duplicated)))
            )
        if problems:
            raise ImportRefused(problems, total_rows=len(sheet.rows))

        rows = [
            _Row(number, {name: (cells[i] if i < len(cells) else "") for name, i in columns.items()})
            for number, cells in sheet.rows
        ]
        # One import at a time (until this transaction ends), so that two admins uploading the same file
        # at once cannot both pass the "already imported" check.
        await self.db.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
        errors = await self._check(rows, columns, sheet.headers, default_org)
        if errors:
            raise ImportRefused([], errors, total_rows=len(rows))

        result = ImportResult(
            filename=filename,
            status=ScenarioStatus.PUBLISHED if publish else ScenarioStatus.SUBMITTED,
            ignored_columns=ignored,
        )
        # One savepoint: a failure half-way (a row changed meanwhile, the database went away) keeps none.
        async with self.db.begin_nested():
            for row in rows:
                assert row.data is not None and row.organization is not None
                scenario = await self._create(admin, row, filename, publish)
                result.scenarios.append(
                    ImportedScenario(row.number, scenario.id, scenario.title, row.organization.name)
                )
        return result

    def _columns(self, headers: list[str]) -> tuple[dict[str, int], list[str]]:
        columns: dict[str, int] = {}
        ignored: list[str] = []
        for index, header in enumerate(headers):
            name = _ALIASES.get(_header_key(header))
            if name is None or name in columns:
                if header:
                    ignored.append(header)
                continue
            columns[name] = index
        return columns, ignored

    async def _default_org(self, ref: str) -> Organization | None:
        ref = clean_text(ref)
        if not ref:
            return None
        found = await self._organizations([ref])
        org = found.get(ref)
        if org is None:
            raise FormError({"organization": _("No organization has this web name or name.")})
        if org.org_type not in AUTHOR_ORG_TYPES:
            raise FormError({"organization": _("Only enterprises and government units publish scenarios.")})
        return org

    async def _organizations(self, refs: Iterable[str]) -> dict[str, Organization]:
        wanted = sorted({r for r in refs if r and len(r) <= 100})
        if not wanted:
            return {}
        orgs = (
            await self.db.scalars(
                select(Organization).where(or_(Organization.slug.in_(wanted), Organization.name.in_(wanted)))
            )
        ).all()
        found: dict[str, Organization] = {}
        for org in orgs:
            found[org.name] = org
            found[org.slug] = org
        return found

    async def _check(
        self, rows: list[_Row], columns: dict[str, int], headers: list[str], default_org: Organization | None
    ) -> list[RowError]:
        errors: list[RowError] = []

        def header(name: str) -> str:
            name = FIELD_COLUMN.get(name, name)
            if name == "contact_phone" and name not in columns:
                name = "contact_email"
            index = columns.get(name)
            return headers[index] if index is not None else COLUMNS[name][0]

        def add(row: _Row, name: str, message: str) -> None:
            column = FIELD_COLUMN.get(name, name)
            value = row.cells.get(column, "")
            if len(value) > VALUE_PREVIEW:
                value = value[:VALUE_PREVIEW] + "…"
            errors.append(RowError(row.number, header(name), message, value))

        organizations = await self._organizations(clean_text(r.cells.get("organization", "")) for r in rows)
        on = today()
        seen_titles: dict[str, int] = {}
        for row in rows:
            row_errors: dict[str, str] = {}
            for name, text in row.cells.items():
                if text.lstrip().startswith("="):
                    row_errors[name] = _(
                        "Formulas are not imported: type the value itself (the cell starts with “=”)."
                    )
            cells = {k: v for k, v in row.cells.items() if k not in row_errors}
            mapping: dict[str, Any] = {
                name: cells.get(name, "")
                for name in (
                    "title", "district", "abstract", "description", "expected_outcome",
                    "contact_name", "contact_phone", "contact_email",
                )
            }  # fmt: skip
            mapping["kind"] = _choice(cells.get("kind", ""), KIND_WORDS, {k.value for k in ScenarioKind})
            mapping["scale"] = _choice(cells.get("scale", ""), SCALE_WORDS, {s.value for s in ScenarioScale})
            mapping["domains"] = cells.get("domains", "")
            mapping["deadline"] = _deadline(cells.get("deadline", ""))
            mapping.update(_budget(cells.get("budget", "")))
            row.data = ScenarioInput.from_mapping(mapping)
            values, field_errors = validate_scenario(row.data, complete=True, today=on)
            for name, message in field_errors.items():
                column = FIELD_COLUMN.get(name, name)
                if column in row_errors:
                    continue
                if name == "kind" and cells.get("kind"):
                    message = _("Use one of: 真实业务需求, 技术瓶颈, 标杆案例.")
                elif name == "scale" and cells.get("scale"):
                    message = _("Use one of: 综合性重大场景, 行业领域集成式场景, 高价值小切口场景.")
                elif name == "domains" and cells.get("domains") and "、" not in message:
                    message += " " + _("Separate several domains with 、 or a comma.")
                row_errors.setdefault(column, message)

            ref = clean_text(cells.get("organization", ""))
            if "organization" in row_errors:
                pass
            elif not ref and default_org is None:
                row_errors["organization"] = _(
                    "Name the publishing organization (its web name or exact name)."
                )
            else:
                org = organizations.get(ref) if ref else default_org
                if org is None:
                    row_errors["organization"] = _("No organization has this web name or name.")
                elif org.org_type not in AUTHOR_ORG_TYPES:
                    row_errors["organization"] = _("Only enterprises and government units publish scenarios.")
                else:
                    row.organization = org

            if values.title and "title" not in row_errors:
                first = seen_titles.setdefault(_title_key(values.title), row.number)
                if first != row.number:
                    row_errors["title"] = _(
                        "The same title as row %(row)s; each scenario needs its own.", row=first
                    )
            for name, message in row_errors.items():
                add(row, name, message)

        if not errors:
            errors.extend(await self._already_there(rows, header("title")))
        errors.sort(key=lambda e: (e.row, list(COLUMNS).index(_ALIASES.get(_header_key(e.column), "title"))))
        return errors

    async def _already_there(self, rows: list[_Row], title_header: str) -> list[RowError]:
        """A title the organization already has (the same file uploaded twice, say)."""
        by_org: dict[Any, list[_Row]] = {}
        for row in rows:
            assert row.organization is not None
            by_org.setdefault(row.organization.id, []).append(row)
        errors: list[RowError] = []
        for org_id, org_rows in by_org.items():
            existing = {
                _title_key(t)
                for t in (
                    await self.db.scalars(
                        select(Scenario.title).where(
                            Scenario.organization_id == org_id,
                            Scenario.title.in_([clean_text(r.cells.get("title", "")) for r in org_rows]),
                        )
                    )
                ).all()
            }
            for row in org_rows:
                title = clean_text(row.cells.get("title", ""))
                if _title_key(title) in existing:
                    errors.append(
                        RowError(
                            row.number,
                            title_header,
                            _("This organization already has a scenario with this title (imported before?)."),
                            title[:VALUE_PREVIEW],
                        )
                    )
        return errors

    async def _create(self, admin: User, row: _Row, filename: str, publish: bool) -> Scenario:
        assert row.data is not None and row.organization is not None
        scenario = await self.scenarios.create(admin, row.organization.id, row.data, submit=False)
        self.db.add(
            ScenarioEvent(
                scenario_id=scenario.id,
                actor_id=admin.id,
                from_status=ScenarioStatus.DRAFT,
                to_status=ScenarioStatus.DRAFT,
                action=IMPORT_ACTION,
                reason=_("Imported from %(file)s, row %(row)s", file=filename, row=row.number),
            )
        )
        await self.scenarios.submit(admin, scenario.id)
        if publish:
            await self.scenarios.publish(admin, scenario.id)
        return scenario


def _title_key(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()


# --- templates -------------------------------------------------------------------------------------------


def template_csv() -> bytes:
    """The template as CSV UTF-8 with a BOM (so that Excel shows the Chinese headers right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerow(template_example())
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The template as an Excel workbook: the headers, one example row, and a sheet of allowed values."""
    from community.vocabulary import DISTRICTS, DOMAINS

    openpyxl: Any = importlib.import_module("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "场景"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(template_example())
    for index, width in enumerate((28, 14, 18, 20, 16, 40, 50, 36, 14, 14, 10, 16, 24, 22), start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append(["列", "可填的值"])
    help_sheet.append(["类型", "真实业务需求、技术瓶颈、标杆案例"])
    help_sheet.append(["规模", "综合性重大场景、行业领域集成式场景、高价值小切口场景"])
    help_sheet.append(["领域", "、".join(DOMAINS) + "（可填多个，用顿号分隔，至多 5 个）"])
    help_sheet.append(["区域", "、".join(DISTRICTS)])
    help_sheet.append(["预算", "面议；一个金额，如 20万 或 200000；或一个区间，如 10万-50万（单位：元）"])
    help_sheet.append(["截止日期", "如 2027-03-31；可不填"])
    help_sheet.append(["发布单位", "企业或政府部门/事业单位在本站的网址名（如 jiangan-data-bureau）或全称"])
    help_sheet.append(["联系方式", "电话与邮箱至少填一项"])
    help_sheet.column_dimensions["A"].width = 12
    help_sheet.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
