"""Capability profiles of OPCs: what each can do, checked by an admin before it enters the capability list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService, clean_text
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.notifications.services import NotificationService
from community.scenarios.models import CapabilityItem, CapabilityProfile, Maturity, ProfileStatus
from community.scenarios.services.scenarios import Page
from community.search.schemas import SearchDocument
from community.search.services import enqueue_delete, enqueue_upsert
from community.vocabulary import DISTRICTS, DOMAINS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

CAPABILITY_DOC_TYPE = "capability"
ITEMS_MAX = 12
SUMMARY_MAX = 2000
CASES_MAX = 10_000
TECHNOLOGY_MAX = 200
TEAM_MAX = 500
PAGE_SIZE = 20


@dataclass(frozen=True)
class CapabilityItemInput:
    domain: str = ""
    technology: str = ""
    maturity: str = ""


@dataclass(frozen=True)
class CapabilityInput:
    summary: str = ""
    cases: str = ""
    team_size: str = "1"
    district: str = ""
    items: tuple[CapabilityItemInput, ...] = ()

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> CapabilityInput:
        """Form rows arrive as item_domain_0, item_technology_0, item_maturity_0, ... (blank rows ignored)."""

        def one(name: str) -> str:
            value = data.get(name, "")
            if isinstance(value, list):
                value = value[-1] if value else ""
            return "" if value is None else str(value)

        items = []
        for index in range(ITEMS_MAX + 8):
            item = CapabilityItemInput(
                one(f"item_domain_{index}"), one(f"item_technology_{index}"), one(f"item_maturity_{index}")
            )
            if item.domain or item.technology.strip() or item.maturity:
                items.append(item)
        return cls(
            summary=one("summary"),
            cases=one("cases"),
            team_size=one("team_size") or "1",
            district=one("district"),
            items=tuple(items),
        )


def capability_url(org_slug: str) -> str:
    return f"/capabilities/{org_slug}"


def capability_document(profile: CapabilityProfile, org: Organization) -> SearchDocument:
    technologies = "；".join(item.technology for item in profile.items)
    return SearchDocument(
        doc_type=CAPABILITY_DOC_TYPE,
        doc_id=str(profile.id),
        title=org.name,
        body=f"{profile.summary}\n{technologies}",
        url=capability_url(org.slug),
        domains=list(profile.domains),
        district=profile.district,
        status=profile.status.value,
        published_at=profile.verified_at,
        extra={"meta": profile.district},
    )


async def capability_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every verified profile, for rebuilding the index."""
    rows = await db.scalars(
        select(CapabilityProfile)
        .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
        .options(selectinload(CapabilityProfile.items), selectinload(CapabilityProfile.organization))
        .order_by(CapabilityProfile.verified_at)
    )
    for profile in rows:
        yield capability_document(profile, profile.organization)


@dataclass(frozen=True)
class CapabilityFilters:
    domain: str | None = None
    district: str | None = None
    maturity: str | None = None
    page: int = 1

    def as_query(self, **changes: Any) -> dict[str, str]:
        values = {
            "domain": self.domain,
            "district": self.district,
            "maturity": self.maturity,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def validate_capability(data: CapabilityInput, *, complete: bool) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    summary = clean_text(data.summary)
    cases = clean_text(data.cases)
    district = clean_text(data.district)
    if not summary and complete:
        errors["summary"] = _("Say in a few sentences what your OPC does.")
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = _("Use at most %(n)s characters for the summary.", n=SUMMARY_MAX)
    if len(cases) > CASES_MAX:
        errors["cases"] = _("Use at most %(n)s characters for the cases.", n=CASES_MAX)
    try:
        team_size = int(clean_text(data.team_size) or "1")
    except ValueError:
        team_size = 0
    if not 1 <= team_size <= TEAM_MAX:
        errors["team_size"] = _("Enter the number of people, from 1 to %(n)s.", n=TEAM_MAX)
    if district and district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    elif complete and not district:
        errors["district"] = _("Choose the district where you work.")
    items: list[tuple[str, str, Maturity]] = []
    for index, item in enumerate(data.items):
        technology = clean_text(item.technology)
        if item.domain not in DOMAINS:
            errors[f"item_domain_{index}"] = _("Choose a domain from the list.")
        if not technology:
            errors[f"item_technology_{index}"] = _("Name the technology or service.")
        elif len(technology) > TECHNOLOGY_MAX:
            errors[f"item_technology_{index}"] = _("Use at most %(n)s characters.", n=TECHNOLOGY_MAX)
        try:
            maturity = Maturity(item.maturity)
        except ValueError:
            errors[f"item_maturity_{index}"] = _("Choose how mature it is.")
            continue
        items.append((item.domain, technology, maturity))
    if len(data.items) > ITEMS_MAX:
        errors["items"] = _("List at most %(n)s capabilities; keep the strongest.", n=ITEMS_MAX)
    elif complete and not data.items:
        errors["items"] = _("List at least one capability.")
    return {
        "summary": summary,
        "cases": cases,
        "team_size": team_size,
        "district": district,
        "items": items,
    }, errors


class CapabilityService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)

    def _query(self) -> Any:
        return select(CapabilityProfile).options(
            selectinload(CapabilityProfile.items), selectinload(CapabilityProfile.organization)
        )

    async def get(self, profile_id: UUID, *, lock: bool = False) -> CapabilityProfile:
        query = self._query().where(CapabilityProfile.id == profile_id)
        if lock:
            query = query.with_for_update(of=CapabilityProfile)
        profile: CapabilityProfile | None = await self.db.scalar(query)
        if profile is None:
            raise NotFound
        return profile

    async def get_by_org(self, organization_id: UUID) -> CapabilityProfile | None:
        profile: CapabilityProfile | None = await self.db.scalar(
            self._query().where(CapabilityProfile.organization_id == organization_id)
        )
        return profile

    async def of_organizations(self, organization_ids: Sequence[UUID]) -> dict[UUID, CapabilityProfile]:
        """The profiles (any status, without their items) of many organizations at once, by organization."""
        if not organization_ids:
            return {}
        rows = await self.db.scalars(
            select(CapabilityProfile).where(CapabilityProfile.organization_id.in_(list(organization_ids)))
        )
        return {profile.organization_id: profile for profile in rows}

    async def public_by_slug(
        self, viewer: User | None, slug: str
    ) -> tuple[Organization, CapabilityProfile, bool]:
        """A profile as ``viewer`` sees it: verified ones for all, others for members and admins only."""
        org = await self.organizations.by_slug(slug)
        profile = await self.get_by_org(org.id)
        if profile is None:
            raise NotFound
        is_member = await self.organizations.role_of(viewer, org) is not None
        if profile.status is not ProfileStatus.VERIFIED and not (is_member or (viewer and viewer.is_admin)):
            raise NotFound
        return org, profile, is_member

    async def save(
        self, actor: User, organization_id: UUID, data: CapabilityInput, *, submit: bool
    ) -> CapabilityProfile:
        org = await self.organizations.by_id(organization_id)
        if org.org_type is not OrgType.OPC:
            raise FormError({"summary": _("Only OPCs keep a capability profile.")})
        if await self.organizations.role_of(actor, org) is None and not actor.is_admin:
            raise Forbidden
        values, errors = validate_capability(data, complete=submit)
        if errors:
            raise FormError(errors)
        profile: CapabilityProfile | None = await self.db.scalar(
            self._query()
            .where(CapabilityProfile.organization_id == org.id)
            .with_for_update(of=CapabilityProfile)
        )
        if profile is None:
            profile = CapabilityProfile(organization_id=org.id, status=ProfileStatus.DRAFT, items=[])
            self.db.add(profile)
        profile.summary = values["summary"]
        profile.cases = values["cases"]
        profile.team_size = values["team_size"]
        profile.district = values["district"]
        profile.domains = list(dict.fromkeys(domain for domain, _t, _m in values["items"]))
        profile.items.clear()
        await self.db.flush()  # old rows go before new ones take their positions
        for position, (domain, technology, maturity) in enumerate(values["items"]):
            profile.items.append(
                CapabilityItem(position=position, domain=domain, technology=technology, maturity=maturity)
            )
        if profile.status is ProfileStatus.VERIFIED:
            # Stays in the list; admins see that it changed and look again.
            profile.edited_after_verification = True
        elif submit:
            profile.status = ProfileStatus.PENDING
            profile.submitted_at = datetime.now(UTC)
        await self.db.flush()
        profile.organization = org
        if profile.status is ProfileStatus.VERIFIED:
            enqueue_upsert(self.db, capability_document(profile, org))
            await self._enqueue_embedding(profile)
        return profile

    async def _enqueue_embedding(self, profile: CapabilityProfile) -> None:
        """Matching listens: the profile's vector follows its text (the job skips an unchanged text)."""
        await enqueue(
            self.db,
            "matching.embed",
            {"owner_type": "profile", "owner_id": str(profile.id)},
            dedupe_key=f"matching.embed:profile:{profile.id}",
        )

    async def verify(self, admin: User, profile_id: UUID) -> CapabilityProfile:
        if not admin.is_admin:
            raise Forbidden
        profile = await self.get(profile_id, lock=True)
        if profile.status not in (ProfileStatus.PENDING, ProfileStatus.VERIFIED, ProfileStatus.REJECTED):
            raise FormError({"status": _("The OPC has not submitted this profile yet.")})
        profile.status = ProfileStatus.VERIFIED
        profile.verified_at = datetime.now(UTC)
        profile.verified_by_id = admin.id
        profile.edited_after_verification = False
        profile.review_note = ""
        await self.db.flush()
        enqueue_upsert(self.db, capability_document(profile, profile.organization))
        await self._enqueue_embedding(profile)
        await self.notifications.notify_many(
            await self.organizations.member_ids(profile.organization_id),
            "capability.verified",
            _("Your capability profile is verified and appears in the technical capability list."),
            capability_url(profile.organization.slug),
            actor_id=admin.id,
        )
        return profile

    async def reject(self, admin: User, profile_id: UUID, reason: str) -> CapabilityProfile:
        if not admin.is_admin:
            raise Forbidden
        text = clean_text(reason)
        if not text:
            raise FormError({"reason": _("Give a reason; the OPC reads it.")})
        if len(text) > 2000:
            raise FormError({"reason": _("Use at most %(n)s characters for the reason.", n=2000)})
        profile = await self.get(profile_id, lock=True)
        was_listed = profile.status is ProfileStatus.VERIFIED
        profile.status = ProfileStatus.REJECTED
        profile.review_note = text
        profile.edited_after_verification = False
        await self.db.flush()
        if was_listed:
            enqueue_delete(self.db, CAPABILITY_DOC_TYPE, str(profile.id))
        await self.notifications.notify_many(
            await self.organizations.member_ids(profile.organization_id),
            "capability.rejected",
            _("Your capability profile was not verified: %(reason)s", reason=text),
            f"/capabilities/{profile.organization.slug}/edit",
            actor_id=admin.id,
        )
        return profile

    async def list_verified(
        self, filters: CapabilityFilters, per_page: int = PAGE_SIZE
    ) -> Page[CapabilityProfile]:
        base = select(CapabilityProfile).where(CapabilityProfile.status == ProfileStatus.VERIFIED)
        if filters.domain:
            base = base.where(CapabilityProfile.domains.contains([filters.domain]))
        if filters.district:
            base = base.where(CapabilityProfile.district == filters.district)
        if filters.maturity in {m.value for m in Maturity}:
            base = base.where(
                CapabilityProfile.id.in_(
                    select(CapabilityItem.profile_id).where(
                        CapabilityItem.maturity == Maturity(filters.maturity)
                    )
                )
            )
        total = int(await self.db.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(1, filters.page)
        items = (
            await self.db.scalars(
                base.options(
                    selectinload(CapabilityProfile.items), selectinload(CapabilityProfile.organization)
                )
                .order_by(CapabilityProfile.verified_at.desc(), CapabilityProfile.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        ).all()
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def review_queue(self, limit: int = 200) -> Sequence[CapabilityProfile]:
        """Profiles waiting for an admin: new submissions, and verified ones changed since."""
        queue: Sequence[CapabilityProfile] = (
            await self.db.scalars(
                self._query()
                .where(
                    (CapabilityProfile.status == ProfileStatus.PENDING)
                    | (CapabilityProfile.edited_after_verification.is_(True))
                )
                .order_by(CapabilityProfile.submitted_at.asc().nulls_last(), CapabilityProfile.updated_at)
                .limit(limit)
            )
        ).all()
        return queue
