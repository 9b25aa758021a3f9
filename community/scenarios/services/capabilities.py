"""Capability profiles of OPCs: what each can do, checked by an admin before it enters the capability list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import ARRAY, Row, String, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import selectinload

from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.jobs import enqueue
from community.kernel.clock import now
from community.kernel.models import Page
from community.notifications.services import NotificationService
from community.scenarios import notices
from community.scenarios.documents import (
    CAPABILITY_DOC_TYPE,
    capability_document,
    capability_documents,
    capability_url,
)
from community.scenarios.inputs import ITEMS_MAX, CapabilityFilters, CapabilityInput, CapabilityItemInput
from community.scenarios.models import CapabilityItem, CapabilityProfile, Maturity, ProfileStatus
from community.scenarios.services.validation import reason_text, validate_capability
from community.search.services import enqueue_delete, enqueue_upsert

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

# Other modules (matching, policies, the demo data) read these from here.
__all__ = (
    "CAPABILITY_DOC_TYPE",
    "ITEMS_MAX",
    "CapabilityFilters",
    "CapabilityInput",
    "CapabilityItemInput",
    "CapabilityService",
    "capability_document",
    "capability_documents",
    "capability_url",
)

PAGE_SIZE = 20


class CapabilityService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)
        self.notifications = NotificationService(db)

    @staticmethod
    def _require_admin(user: User) -> None:
        if not user.is_admin:
            raise Forbidden

    async def _require_member(self, user: User, org: Organization) -> None:
        """Members write their OPC's profile; admins may too."""
        if await self.organizations.role_of(user, org) is None and not user.is_admin:
            raise Forbidden

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

    async def own_opc(self, user: User, slug: str) -> Organization:
        """The OPC whose profile ``user`` may write (a member, or an admin)."""
        org = await self.organizations.by_slug(slug)
        if org.org_type is not OrgType.OPC:
            raise NotFound
        await self._require_member(user, org)
        return org

    async def save(
        self, actor: User, organization_id: UUID, data: CapabilityInput, *, submit: bool
    ) -> CapabilityProfile:
        org = await self.organizations.by_id(organization_id)
        if org.org_type is not OrgType.OPC:
            raise FormError({"summary": _("Only OPCs keep a capability profile.")})
        await self._require_member(actor, org)
        values, errors = validate_capability(data, complete=submit)
        if errors:
            raise FormError(errors)
        profile: CapabilityProfile | None = await self.db.scalar(
            self._query()
            .where(CapabilityProfile.organization_id == org.id)
            .with_for_update(of=CapabilityProfile)
            .execution_options(populate_existing=True)  # as it is now, even if read before
        )
        if profile is None:
            profile = CapabilityProfile(organization_id=org.id, status=ProfileStatus.DRAFT, items=[])
            self.db.add(profile)
        profile.summary = values.summary
        profile.cases = values.cases
        profile.team_size = values.team_size
        profile.district = values.district
        profile.domains = list(dict.fromkeys(domain for domain, _t, _m in values.items))
        profile.items.clear()
        await self.db.flush()  # old rows go before new ones take their positions
        for position, (domain, technology, maturity) in enumerate(values.items):
            profile.items.append(
                CapabilityItem(position=position, domain=domain, technology=technology, maturity=maturity)
            )
        if profile.status is ProfileStatus.VERIFIED:
            # Stays in the list; admins see that it changed and look again.
            profile.edited_after_verification = True
        elif submit:
            profile.status = ProfileStatus.PENDING
            profile.submitted_at = now()
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
        self._require_admin(admin)
        profile = await self.get(profile_id, lock=True)
        if profile.status not in (ProfileStatus.PENDING, ProfileStatus.VERIFIED, ProfileStatus.REJECTED):
            raise FormError({"status": _("The OPC has not submitted this profile yet.")})
        profile.status = ProfileStatus.VERIFIED
        profile.verified_at = now()
        profile.verified_by_id = admin.id
        profile.edited_after_verification = False
        profile.review_note = ""
        await self.db.flush()
        enqueue_upsert(self.db, capability_document(profile, profile.organization))
        await self._enqueue_embedding(profile)
        await self.notifications.notify_many(
            await self.organizations.member_ids(profile.organization_id),
            notices.CAPABILITY_VERIFIED,
            capability_url(profile.organization.slug),
            actor_id=admin.id,
        )
        return profile

    async def reject(self, admin: User, profile_id: UUID, reason: str) -> CapabilityProfile:
        self._require_admin(admin)
        text = reason_text(reason, missing=_("Give a reason; the OPC reads it."))
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
            notices.CAPABILITY_REJECTED,
            capability_url(profile.organization.slug) + "/edit",
            {"reason": text},
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
        if filters.maturity:
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

    async def verified_rows(self, chunk: int) -> AsyncIterator[Sequence[Row[Any]]]:
        """Every verified profile as plain columns, ``chunk`` rows at a time, in ``list_verified``'s order:
        id, organization_id, name and slug (of its organization), summary, cases, district, domains, and its
        items' domains and technologies in their order (empty lists without items). For a process that reads
        all of them at once (the matching index): no ORM object, identity map or relationship per row."""
        items = (
            select(
                CapabilityItem.profile_id,
                func.array_agg(aggregate_order_by(CapabilityItem.domain, CapabilityItem.position)).label(
                    "item_domains"
                ),
                func.array_agg(aggregate_order_by(CapabilityItem.technology, CapabilityItem.position)).label(
                    "technologies"
                ),
            )
            .group_by(CapabilityItem.profile_id)
            .subquery()
        )
        query = (
            select(
                CapabilityProfile.id,
                CapabilityProfile.organization_id,
                Organization.name,
                Organization.slug,
                CapabilityProfile.summary,
                CapabilityProfile.cases,
                CapabilityProfile.district,
                CapabilityProfile.domains,
                func.coalesce(items.c.item_domains, literal([], ARRAY(String))).label("item_domains"),
                func.coalesce(items.c.technologies, literal([], ARRAY(String))).label("technologies"),
            )
            .join(Organization, Organization.id == CapabilityProfile.organization_id)
            .outerjoin(items, items.c.profile_id == CapabilityProfile.id)
            .where(CapabilityProfile.status == ProfileStatus.VERIFIED)
            .order_by(CapabilityProfile.verified_at.desc(), CapabilityProfile.id.desc())
        )
        result = await self.db.stream(query.execution_options(yield_per=chunk))
        async for rows in result.partitions(chunk):
            yield rows

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
