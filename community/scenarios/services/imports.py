"""Bulk import of scenarios from a spreadsheet (CSV or XLSX), for admins and the district teams they serve.

Every row or nothing: the file is read (``import_files``), every row is checked with the same rules as the
form (``validate_scenario(complete=True)``, through ``import_rows``) plus the publishing organization, and
only when no row has an error are all rows created, in one transaction, through ``ScenarioService`` (so
timelines, search documents and notifications are the same as for a scenario typed in by hand). Otherwise
the report names each bad row (as the spreadsheet numbers it: the header is row 1) and column (as the
file's header says it) with the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from community.accounts.models import Organization, User
from community.errors import Forbidden, FormError
from community.i18n import _
from community.kernel.clock import today
from community.kernel.text import clean_line
from community.scenarios.models import Scenario, ScenarioEvent, ScenarioStatus
from community.scenarios.services.import_files import MAX_BYTES, MAX_ROWS, ImportRefused, read_upload
from community.scenarios.services.import_rows import (
    ALIASES,
    COLUMNS,
    FIELD_COLUMN,
    REQUIRED,
    TEMPLATE_HEADERS,
    RowError,
    check_cells,
    header_key,
    template_csv,
    template_example,
    template_xlsx,
    title_key,
)
from community.scenarios.services.scenarios import AUTHOR_ORG_TYPES, ScenarioService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.scenarios.services.validation import ScenarioInput

# What the import page and the tests read from here.
__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "TEMPLATE_HEADERS",
    "ImportRefused",
    "ImportResult",
    "ImportService",
    "RowError",
    "read_upload",
    "template_csv",
    "template_example",
    "template_xlsx",
]

VALUE_PREVIEW = 60
IMPORT_ACTION = "imported"
# pg_advisory_xact_lock key that serializes imports (any fixed 64-bit number; "scenario" in ASCII)
IMPORT_LOCK_KEY = 0x7363656E6172696F


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


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # field -> raw text
    data: ScenarioInput | None = None
    organization: Organization | None = None


def _preview(value: str) -> str:
    return value[:VALUE_PREVIEW] + "…" if len(value) > VALUE_PREVIEW else value


def _publisher_problem(org: Organization | None) -> str | None:
    """Why ``org`` cannot publish the scenarios of an import, or None."""
    if org is None:
        return _("No organization has this web name or name.")
    if org.org_type not in AUTHOR_ORG_TYPES:
        return _("Only enterprises and government units publish scenarios.")
    return None


def _columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds each field (the first of a repeated one), and the headers that name none."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = ALIASES.get(header_key(header))
        if name is None or name in columns:
            if header:
                ignored.append(header)
            continue
        columns[name] = index
    return columns, ignored


def _file_problems(
    headers: list[str], columns: dict[str, int], default_org: Organization | None
) -> list[str]:
    """What is wrong with the file as a whole: missing or repeated columns."""
    problems = []
    missing = [name for name in REQUIRED if name not in columns]
    if "organization" not in columns and default_org is None:
        missing.append("organization")
    if missing:
        problems.append(
            _(
                "Required columns are missing: %(columns)s. Use the headers of the template.",
                columns="、".join(COLUMNS[name][0] for name in missing),
            )
        )
    if "contact_phone" not in columns and "contact_email" not in columns:
        problems.append(_("Add a column 电话 (phone) or 邮箱 (email) for the contact."))
    duplicated = [h for h in headers if h and headers.count(h) > 1]
    if duplicated:
        problems.append(
            _("These columns appear twice: %(columns)s.", columns="、".join(dict.fromkeys(duplicated)))
        )
    return problems


class ImportService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.scenarios = ScenarioService(db)

    async def import_file(
        self, admin: User, filename: str, data: bytes, *, publish: bool, default_organization: str = ""
    ) -> ImportResult:
        """Import every row of the file, or none; raises ImportRefused with the report when any is bad."""
        if not admin.is_admin:
            raise Forbidden
        filename = clean_line(filename).replace("/", "_").replace("\\", "_")[-200:] or "upload"
        sheet = await asyncio.to_thread(read_upload, filename, data)
        columns, ignored = _columns(sheet.headers)
        default_org = await self._default_org(default_organization)
        problems = _file_problems(sheet.headers, columns, default_org)
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

    async def _default_org(self, ref: str) -> Organization | None:
        ref = clean_line(ref)
        if not ref:
            return None
        org = (await self._organizations([ref])).get(ref)
        problem = _publisher_problem(org)
        if problem:
            raise FormError({"organization": problem})
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
        def header(name: str) -> str:
            name = FIELD_COLUMN.get(name, name)
            if name == "contact_phone" and name not in columns:
                name = "contact_email"
            index = columns.get(name)
            return headers[index] if index is not None else COLUMNS[name][0]

        errors: list[RowError] = []
        organizations = await self._organizations(clean_line(r.cells.get("organization", "")) for r in rows)
        on = today()
        seen_titles: dict[str, int] = {}
        for row in rows:
            row.data, values, row_errors = check_cells(row.cells, on)
            if "organization" not in row_errors:
                ref = clean_line(row.cells.get("organization", ""))
                if not ref and default_org is None:
                    row_errors["organization"] = _(
                        "Name the publishing organization (its web name or exact name)."
                    )
                else:
                    org = organizations.get(ref) if ref else default_org
                    problem = _publisher_problem(org)
                    if problem:
                        row_errors["organization"] = problem
                    else:
                        row.organization = org
            if values.title and "title" not in row_errors:
                first = seen_titles.setdefault(title_key(values.title), row.number)
                if first != row.number:
                    row_errors["title"] = _(
                        "The same title as row %(row)s; each scenario needs its own.", row=first
                    )
            for name, message in row_errors.items():
                value = _preview(row.cells.get(FIELD_COLUMN.get(name, name), ""))
                errors.append(RowError(row.number, header(name), message, value))

        if not errors:
            errors.extend(await self._already_there(rows, header("title")))
        errors.sort(key=lambda e: (e.row, list(COLUMNS).index(ALIASES.get(header_key(e.column), "title"))))
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
                title_key(t)
                for t in (
                    await self.db.scalars(
                        select(Scenario.title).where(
                            Scenario.organization_id == org_id,
                            Scenario.title.in_([clean_line(r.cells.get("title", "")) for r in org_rows]),
                        )
                    )
                ).all()
            }
            for row in org_rows:
                title = clean_line(row.cells.get("title", ""))
                if title_key(title) in existing:
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
