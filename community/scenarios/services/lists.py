"""List issues: 第N期场景机会清单 and 第N期技术能力清单.

Admins compose a draft from published scenarios or verified capability profiles and publish it. Publishing
numbers the issue from the list's counter row, in the same transaction that freezes every item's snapshot:
the counter row lock serializes concurrent publishers, a rolled-back publication gives its number back (no
gaps), and the unique (list_kind, number) constraint backs it. A published issue is never edited again, and
its pages, exports, feed and API read only the snapshots.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, User
from community.accounts.services import clean_text
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.scenarios.labels import format_budget, issue_title, label
from community.scenarios.models import (
    CapabilityProfile,
    ListCounter,
    ListIssue,
    ListIssueItem,
    ListKind,
    Maturity,
    ProfileStatus,
    Scenario,
    ScenarioKind,
    ScenarioScale,
    ScenarioStatus,
)
from community.scenarios.services.scenarios import SITE_TZ, Page, scenario_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

SNAPSHOT_VERSION = 1
TITLE_MAX = 120
INTRODUCTION_MAX = 5_000
ITEMS_MAX = 500  # items in one issue
CANDIDATES_PAGE = 50
ISSUES_PAGE = 20
NUMBER_MAX = 2**31 - 1  # the column is an int4
QUERY_MAX = 200
# Scenarios that may go into a scenario opportunity list: published and still alive (or landed, to show it).
ELIGIBLE_SCENARIO_STATUSES = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING, ScenarioStatus.LANDED)
MOVES = ("up", "down", "top", "bottom")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(SITE_TZ).date()


def parse_kind(value: str | None) -> ListKind:
    """A list kind from a URL segment or a form; anything else does not exist."""
    try:
        return ListKind(value or "")
    except ValueError as exc:
        raise NotFound from exc


def issue_url(kind: ListKind | str, number: int) -> str:
    return f"/lists/{ListKind(kind).value}/{number}"


def capability_url(org_slug: str) -> str:
    return f"/capabilities/{org_slug}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- snapshots ---------------------------------------------------------------------------------------------


def scenario_snapshot(scenario: Scenario, organization: Organization) -> dict[str, Any]:
    """Everything the issue page, the exports and the API show of a scenario, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "title": scenario.title,
        "kind": scenario.kind.value,
        "scale": scenario.scale.value,
        "domains": list(scenario.domains),
        "district": scenario.district,
        "abstract": scenario.abstract,
        "budget_min": scenario.budget_min,
        "budget_max": scenario.budget_max,
        "budget_negotiable": scenario.budget_negotiable,
        "deadline": _iso(scenario.deadline),
        "organization": organization.name,
        "organization_slug": organization.slug,
        "status": scenario.status.value,
        "published_at": _iso(scenario.published_at),
        "url": scenario_url(scenario),
    }


def capability_snapshot(profile: CapabilityProfile, organization: Organization) -> dict[str, Any]:
    """Everything the issue page, the exports and the API show of a capability profile, as it is now."""
    return {
        "v": SNAPSHOT_VERSION,
        "organization": organization.name,
        "organization_slug": organization.slug,
        "summary": profile.summary,
        "district": profile.district,
        "team_size": profile.team_size,
        "domains": list(profile.domains),
        "items": [
            {"domain": item.domain, "technology": item.technology, "maturity": item.maturity.value}
            for item in profile.items
        ],
        "verified_at": _iso(profile.verified_at),
        "url": capability_url(organization.slug),
    }


def _enum_label(enum_cls: Any, code: Any) -> str:
    try:
        return label(enum_cls(code))
    except ValueError:
        return str(code or "")


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass(frozen=True)
class ScenarioView:
    """One scenario of an issue as a reader sees it (codes and their words in the reader's language)."""

    position: int
    source_id: UUID | None
    title: str
    kind: str
    kind_label: str
    scale: str
    scale_label: str
    domains: list[str]
    district: str
    abstract: str
    budget_min: int | None
    budget_max: int | None
    budget_negotiable: bool
    budget_text: str
    deadline: date | None
    organization: str
    organization_slug: str
    status: str
    status_label: str
    url: str


@dataclass(frozen=True)
class CapabilityEntryView:
    domain: str
    technology: str
    maturity: str
    maturity_label: str


@dataclass(frozen=True)
class CapabilityView:
    position: int
    source_id: UUID | None
    organization: str
    organization_slug: str
    summary: str
    district: str
    team_size: int | None
    domains: list[str]
    items: list[CapabilityEntryView]
    verified_at: datetime | None
    url: str

    @property
    def title(self) -> str:
        return self.organization


ItemView = ScenarioView | CapabilityView


def scenario_view(position: int, source_id: UUID | None, snap: dict[str, Any]) -> ScenarioView:
    low, high = _int(snap.get("budget_min")), _int(snap.get("budget_max"))
    negotiable = snap.get("budget_negotiable") is True
    return ScenarioView(
        position=position,
        source_id=source_id,
        title=_str(snap.get("title")),
        kind=_str(snap.get("kind")),
        kind_label=_enum_label(ScenarioKind, snap.get("kind")),
        scale=_str(snap.get("scale")),
        scale_label=_enum_label(ScenarioScale, snap.get("scale")),
        domains=_strs(snap.get("domains")),
        district=_str(snap.get("district")),
        abstract=_str(snap.get("abstract")),
        budget_min=low,
        budget_max=high,
        budget_negotiable=negotiable,
        budget_text=format_budget(low, high, negotiable),
        deadline=_date(snap.get("deadline")),
        organization=_str(snap.get("organization")),
        organization_slug=_str(snap.get("organization_slug")),
        status=_str(snap.get("status")),
        status_label=_enum_label(ScenarioStatus, snap.get("status")),
        url=_str(snap.get("url")),
    )


def capability_view(position: int, source_id: UUID | None, snap: dict[str, Any]) -> CapabilityView:
    entries = []
    for raw in snap.get("items") or []:
        if isinstance(raw, dict):
            entries.append(
                CapabilityEntryView(
                    domain=_str(raw.get("domain")),
                    technology=_str(raw.get("technology")),
                    maturity=_str(raw.get("maturity")),
                    maturity_label=_enum_label(Maturity, raw.get("maturity")),
                )
            )
    return CapabilityView(
        position=position,
        source_id=source_id,
        organization=_str(snap.get("organization")),
        organization_slug=_str(snap.get("organization_slug")),
        summary=_str(snap.get("summary")),
        district=_str(snap.get("district")),
        team_size=_int(snap.get("team_size")),
        domains=_strs(snap.get("domains")),
        items=entries,
        verified_at=_datetime(snap.get("verified_at")),
        url=_str(snap.get("url")),
    )


def item_views(kind: ListKind, items: Iterable[ListIssueItem]) -> list[ItemView]:
    """The items of a published issue, numbered 1..n in their order, from their snapshots only."""
    make = scenario_view if kind is ListKind.SCENARIOS else capability_view
    return [
        make(index, item.source_id, item.snapshot if isinstance(item.snapshot, dict) else {})
        for index, item in enumerate(sorted(items, key=lambda i: i.position), start=1)
    ]


# --- inputs and results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueInput:
    """The editable part of a draft, as typed."""

    title: str = ""
    introduction: str = ""
    publish_on: str = ""


@dataclass(frozen=True)
class IssueSummary:
    issue: ListIssue
    item_count: int

    @property
    def title(self) -> str:
        return issue_title(self.issue.list_kind, self.issue.number)


@dataclass(frozen=True)
class Candidate:
    """A scenario or profile an admin may put into a draft."""

    source_id: UUID
    title: str
    organization: str
    domains: list[str]
    district: str
    status_label: str
    listed_in: list[int] = field(default_factory=list)  # published issues of this list that hold it
    in_issue: bool = False  # already in the draft being composed


@dataclass(frozen=True)
class DraftItem:
    """An item of a draft: its current content (not frozen yet) and whether it may still be published."""

    item: ListIssueItem
    view: ItemView | None  # None: its scenario or profile is gone
    eligible: bool


@dataclass(frozen=True)
class CandidateFilters:
    q: str = ""
    domain: str = ""
    show_all: bool = False
    page: int = 1


def validate_issue(data: IssueInput) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    title = clean_text(data.title)
    if len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(n)s characters for the theme.", n=TITLE_MAX)
    introduction = clean_text(data.introduction)
    if len(introduction) > INTRODUCTION_MAX:
        errors["introduction"] = _("Use at most %(n)s characters for the introduction.", n=INTRODUCTION_MAX)
    publish_on: date | None = None
    raw = clean_text(data.publish_on)
    if raw:
        try:
            publish_on = date.fromisoformat(raw[:10].replace("/", "-"))
        except ValueError:
            errors["publish_on"] = _("Enter the date as a date, like 2027-03-31.")
        else:
            low, high = date(2020, 1, 1), today() + timedelta(days=366)
            if not low <= publish_on <= high:
                errors["publish_on"] = _(
                    "Choose a date between %(low)s and %(high)s.", low=low.isoformat(), high=high.isoformat()
                )
    return {"title": title, "introduction": introduction, "publish_on": publish_on}, errors


# --- the service -------------------------------------------------------------------------------------------


class ListService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- reading: published issues ---------------------------------------------------------------------

    async def published(
        self, kind: ListKind, page: int = 1, per_page: int = ISSUES_PAGE
    ) -> Page[IssueSummary]:
        """The published issues of one list, newest first, with their item counts."""
        base = select(ListIssue).where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(1, page)
        count = (
            select(func.count(ListIssueItem.id))
            .where(ListIssueItem.issue_id == ListIssue.id)
            .correlate(ListIssue)
            .scalar_subquery()
        )
        rows = await self.db.execute(
            select(ListIssue, count)
            .where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
            .order_by(ListIssue.number.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        return Page(
            items=[IssueSummary(issue, int(n)) for issue, n in rows],
            total=total,
            page=page,
            per_page=per_page,
        )

    async def get_published(self, kind: ListKind, number: int) -> ListIssue:
        """One published issue with its items; drafts and unknown numbers do not exist for readers."""
        if not 0 < number <= NUMBER_MAX:
            raise NotFound
        issue = await self.db.scalar(
            select(ListIssue)
            .where(ListIssue.list_kind == kind, ListIssue.number == number)
            .options(selectinload(ListIssue.items))
        )
        if issue is None:
            raise NotFound
        return issue

    # --- drafts ----------------------------------------------------------------------------------------

    @staticmethod
    def _require_admin(actor: User | None) -> User:
        if actor is None or not actor.is_admin:
            raise Forbidden
        return actor

    async def drafts(self, admin: User) -> list[IssueSummary]:
        self._require_admin(admin)
        count = (
            select(func.count(ListIssueItem.id))
            .where(ListIssueItem.issue_id == ListIssue.id)
            .correlate(ListIssue)
            .scalar_subquery()
        )
        rows = await self.db.execute(
            select(ListIssue, count)
            .where(ListIssue.number.is_(None))
            .order_by(ListIssue.list_kind, ListIssue.created_at.desc())
            .limit(200)
        )
        return [IssueSummary(issue, int(n)) for issue, n in rows]

    async def latest_numbers(self) -> dict[ListKind, int]:
        rows = await self.db.execute(
            select(ListIssue.list_kind, func.max(ListIssue.number))
            .where(ListIssue.number.is_not(None))
            .group_by(ListIssue.list_kind)
        )
        return {kind: int(n) for kind, n in rows if n is not None}

    async def get(self, admin: User, issue_id: UUID) -> ListIssue:
        """Any issue (draft or published) with its items, for the admin pages."""
        self._require_admin(admin)
        issue = await self.db.scalar(
            select(ListIssue).where(ListIssue.id == issue_id).options(selectinload(ListIssue.items))
        )
        if issue is None:
            raise NotFound
        return issue

    async def _draft_for_update(self, issue_id: UUID) -> ListIssue:
        """The draft row, locked until the transaction ends: composing and publishing take turns."""
        issue = await self.db.scalar(
            select(ListIssue)
            .where(ListIssue.id == issue_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if issue is None:
            raise NotFound
        if issue.number is not None:
            raise FormError({"issue": _("This issue is published and can no longer be changed.")})
        return issue

    async def create_draft(self, admin: User, kind: ListKind | str, data: IssueInput) -> ListIssue:
        self._require_admin(admin)
        try:
            list_kind = ListKind(kind)
        except ValueError as exc:
            raise FormError({"kind": _("Choose which list the issue belongs to.")}) from exc
        values, errors = validate_issue(data)
        if errors:
            raise FormError(errors)
        issue = ListIssue(list_kind=list_kind, created_by_id=admin.id, **values)
        self.db.add(issue)
        await self.db.flush()
        return issue

    async def update_draft(self, admin: User, issue_id: UUID, data: IssueInput) -> ListIssue:
        self._require_admin(admin)
        values, errors = validate_issue(data)
        if errors:
            raise FormError(errors)
        issue = await self._draft_for_update(issue_id)
        issue.title = values["title"]
        issue.introduction = values["introduction"]
        issue.publish_on = values["publish_on"]
        await self.db.flush()
        return issue

    async def delete_draft(self, admin: User, issue_id: UUID) -> ListKind:
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        kind = issue.list_kind
        await self.db.execute(delete(ListIssue).where(ListIssue.id == issue.id))
        return kind

    async def _item_ids(self, issue_id: UUID) -> list[UUID]:
        """Source ids of a draft's items, in order."""
        return list(
            (
                await self.db.scalars(
                    select(ListIssueItem.source_id)
                    .where(ListIssueItem.issue_id == issue_id)
                    .order_by(ListIssueItem.position)
                )
            ).all()
        )

    async def _renumber(self, issue_id: UUID, order: list[UUID]) -> None:
        """Positions 1..n in ``order``, in ONE statement (the deferrable unique constraint is checked at its
        end, so swapping two positions is fine)."""
        if not order:
            return
        await self.db.execute(
            update(ListIssueItem)
            .where(ListIssueItem.issue_id == issue_id)
            .values(
                position=case(
                    {source: index for index, source in enumerate(order, start=1)},
                    value=ListIssueItem.source_id,
                    else_=ListIssueItem.position + len(order) + 1,
                )
            )
            .execution_options(synchronize_session=False)
        )

    async def add_items(self, admin: User, issue_id: UUID, source_ids: Sequence[UUID]) -> int:
        """Append eligible scenarios or profiles to a draft, in the order given; returns how many are new."""
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        current = await self._item_ids(issue.id)
        wanted = [s for s in dict.fromkeys(source_ids) if s not in set(current)]
        if not wanted:
            return 0
        if len(current) + len(wanted) > ITEMS_MAX:
            raise FormError({"items": _("An issue holds at most %(n)s items.", n=ITEMS_MAX)})
        snapshots = await self._snapshots(issue.list_kind, wanted)
        refused = [s for s in wanted if s not in snapshots or not snapshots[s][1]]
        if refused:
            raise FormError(
                {
                    "items": _(
                        "Some of the chosen items can no longer be listed (%(count)s); reload the page and "
                        "choose again.",
                        count=len(refused),
                    )
                }
            )
        for offset, source in enumerate(wanted, start=len(current) + 1):
            self.db.add(ListIssueItem(issue_id=issue.id, position=offset, source_id=source, snapshot={}))
        await self.db.flush()
        return len(wanted)

    async def remove_items(self, admin: User, issue_id: UUID, source_ids: Sequence[UUID]) -> int:
        self._require_admin(admin)
        issue = await self._draft_for_update(issue_id)
        gone = set(source_ids)
        if not gone:
            return 0
        result = await self.db.execute(
            delete(ListIssueItem).where(ListIssueItem.issue_id == issue.id, ListIssueItem.source_id.in_(gone))
        )
        await self._renumber(issue.id, [s for s in await self._item_ids(issue.id) if s not in gone])
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_item(self, admin: User, issue_id: UUID, source_id: UUID, direction: str) -> None:
        self._require_admin(admin)
        if direction not in MOVES:
            raise FormError({"items": _("Choose where to move the item.")})
        issue = await self._draft_for_update(issue_id)
        order = await self._item_ids(issue.id)
        if source_id not in order:
            raise FormError({"items": _("That item is not in this issue any more; reload the page.")})
        index = order.index(source_id)
        order.pop(index)
        target = {"up": max(0, index - 1), "down": index + 1, "top": 0, "bottom": len(order)}[direction]
        order.insert(min(target, len(order)), source_id)
        await self._renumber(issue.id, order)

    async def draft_items(self, issue: ListIssue) -> list[DraftItem]:
        """A draft's items with what they say now (they are frozen only when the issue is published)."""
        items = sorted(issue.items, key=lambda i: i.position)
        snapshots = await self._snapshots(issue.list_kind, [i.source_id for i in items])
        make = scenario_view if issue.list_kind is ListKind.SCENARIOS else capability_view
        result = []
        for index, item in enumerate(items, start=1):
            found = snapshots.get(item.source_id)
            if found is None:
                result.append(DraftItem(item, None, False))
            else:
                result.append(DraftItem(item, make(index, item.source_id, found[0]), found[1]))
        return result

    # --- candidates ------------------------------------------------------------------------------------

    def _listed(self, kind: ListKind) -> Any:
        return (
            select(ListIssueItem.source_id)
            .join(ListIssue, ListIssue.id == ListIssueItem.issue_id)
            .where(ListIssue.list_kind == kind, ListIssue.number.is_not(None))
        )

    async def candidates(self, admin: User, issue: ListIssue, filters: CandidateFilters) -> Page[Candidate]:
        """What may go into ``issue``: by default only what no published issue of this list holds yet;
        with ``show_all`` everything eligible, the not-yet-listed first."""
        self._require_admin(admin)
        kind = issue.list_kind
        q = clean_text(filters.q)[:QUERY_MAX].replace("\x00", "")
        listed = self._listed(kind)
        if kind is ListKind.SCENARIOS:
            source_id: Any = Scenario.id
            base: Any = (
                select(Scenario, Organization)
                .join(Organization, Organization.id == Scenario.organization_id)
                .where(Scenario.status.in_(ELIGIBLE_SCENARIO_STATUSES))
            )
            if q:
                pattern = f"%{_escape_like(q)}%"
                base = base.where(
                    or_(
                        Scenario.title.ilike(pattern),
                        Organization.name.ilike(pattern),
                        Scenario.id == _uuid_or_none(q),
                    )
                )
            if filters.domain:
                base = base.where(Scenario.domains.contains([filters.domain[:20]]))
            newest: Any = Scenario.published_at.desc().nulls_last()
        else:
            source_id = CapabilityProfile.id
            base = (
                select(CapabilityProfile, Organization)
                .join(Organization, Organization.id == CapabilityProfile.organization_id)
                .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
            )
            if q:
                pattern = f"%{_escape_like(q)}%"
                base = base.where(
                    or_(Organization.name.ilike(pattern), CapabilityProfile.summary.ilike(pattern))
                )
            if filters.domain:
                base = base.where(CapabilityProfile.domains.contains([filters.domain[:20]]))
            newest = CapabilityProfile.verified_at.desc().nulls_last()
        was_listed = exists(listed.where(ListIssueItem.source_id == source_id))
        if not filters.show_all:
            base = base.where(~was_listed)
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(1, min(filters.page, 10_000))
        rows = (
            await self.db.execute(
                base.order_by(case((was_listed, 1), else_=0), newest, source_id)
                .limit(CANDIDATES_PAGE)
                .offset((page - 1) * CANDIDATES_PAGE)
            )
        ).all()
        ids = [row[0].id for row in rows]
        numbers: dict[UUID, list[int]] = {}
        if ids:
            for source, number in await self.db.execute(
                select(ListIssueItem.source_id, ListIssue.number)
                .join(ListIssue, ListIssue.id == ListIssueItem.issue_id)
                .where(
                    ListIssue.list_kind == kind,
                    ListIssue.number.is_not(None),
                    ListIssueItem.source_id.in_(ids),
                )
                .order_by(ListIssue.number)
            ):
                if number is not None:
                    numbers.setdefault(source, []).append(int(number))
        in_issue = set(await self._item_ids(issue.id))
        items = []
        for obj, org in rows:
            if isinstance(obj, Scenario):
                title, status = obj.title, label(obj.status)
            else:
                title, status = org.name, label(obj.status)
            items.append(
                Candidate(
                    source_id=obj.id,
                    title=title,
                    organization=org.name,
                    domains=list(obj.domains),
                    district=obj.district,
                    status_label=status,
                    listed_in=numbers.get(obj.id, []),
                    in_issue=obj.id in in_issue,
                )
            )
        return Page(items=items, total=total, page=page, per_page=CANDIDATES_PAGE)

    async def _snapshots(
        self, kind: ListKind, source_ids: Sequence[UUID], *, lock: bool = False
    ) -> dict[UUID, tuple[dict[str, Any], bool]]:
        """The current snapshot of each source that still exists, and whether it may be listed."""
        if not source_ids:
            return {}
        result: dict[UUID, tuple[dict[str, Any], bool]] = {}
        if kind is ListKind.SCENARIOS:
            query = (
                select(Scenario, Organization)
                .join(Organization, Organization.id == Scenario.organization_id)
                .where(Scenario.id.in_(source_ids))
            )
            if lock:  # nobody closes or edits it between the check and the commit
                query = query.with_for_update(of=Scenario, read=True)
            for scenario, org in await self.db.execute(query):
                eligible = scenario.status in ELIGIBLE_SCENARIO_STATUSES
                result[scenario.id] = (scenario_snapshot(scenario, org), eligible)
        else:
            query2 = (
                select(CapabilityProfile, Organization)
                .join(Organization, Organization.id == CapabilityProfile.organization_id)
                .where(CapabilityProfile.id.in_(source_ids))
                .options(selectinload(CapabilityProfile.items))
            )
            if lock:
                query2 = query2.with_for_update(of=CapabilityProfile, read=True)
            for profile, org in await self.db.execute(query2):
                eligible = profile.status is ProfileStatus.VERIFIED
                result[profile.id] = (capability_snapshot(profile, org), eligible)
        return result

    # --- publishing ------------------------------------------------------------------------------------

    async def _next_number(self, kind: ListKind) -> int:
        """Take the next number of ``kind``: the counter row stays locked until this transaction ends."""
        number = await self.db.scalar(
            update(ListCounter)
            .where(ListCounter.list_kind == kind)
            .values(last_number=ListCounter.last_number + 1, updated_at=now())
            .returning(ListCounter.last_number)
        )
        if number is None:  # the seed row is missing (an emptied database): create it, as locked
            stamp = now()
            number = await self.db.scalar(
                insert(ListCounter)
                .values(id=uuid.uuid4(), list_kind=kind, last_number=1, created_at=stamp, updated_at=stamp)
                .on_conflict_do_update(
                    index_elements=[ListCounter.list_kind],
                    set_={"last_number": ListCounter.last_number + 1, "updated_at": stamp},
                )
                .returning(ListCounter.last_number)
            )
        assert number is not None
        return int(number)

    async def publish(self, admin: User, issue_id: UUID) -> ListIssue:
        """Number the draft and freeze its items, all in the caller's one transaction.

        Publishing twice (a double click, two admins) publishes once: the second call waits for the issue row
        lock, then finds it numbered and returns it unchanged. Every check comes before the number is taken,
        and a rollback after it gives the number back, so a failed publication never leaves a gap."""
        self._require_admin(admin)
        issue = await self.db.scalar(
            select(ListIssue)
            .where(ListIssue.id == issue_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if issue is None:
            raise NotFound
        if issue.number is not None:
            return issue
        items = (
            await self.db.scalars(
                select(ListIssueItem)
                .where(ListIssueItem.issue_id == issue.id)
                .order_by(ListIssueItem.position)
                .execution_options(populate_existing=True)
            )
        ).all()
        if not items:
            raise FormError({"items": _("Add at least one item before publishing the issue.")})
        snapshots = await self._snapshots(issue.list_kind, [i.source_id for i in items], lock=True)
        missing = [i.position for i in items if i.source_id not in snapshots]
        refused = [i.position for i in items if i.source_id in snapshots and not snapshots[i.source_id][1]]
        if missing or refused:
            numbers = ", ".join(str(p) for p in sorted(missing + refused))
            raise FormError(
                {
                    "items": _(
                        "Items %(numbers)s can no longer be listed (withdrawn, closed or no longer "
                        "verified). Remove them, then publish again.",
                        numbers=numbers,
                    )
                }
            )
        number = await self._next_number(issue.list_kind)
        issue.number = number
        issue.published_at = now()
        issue.published_by_id = admin.id
        if issue.publish_on is None:
            issue.publish_on = today()
        for item in items:
            item.snapshot = snapshots[item.source_id][0]
        await self.db.flush()
        return issue


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
