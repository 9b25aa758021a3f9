"""Organizations: their profiles, and who speaks for them (the roles every zone asks about)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.accounts.documents import organization_document
from community.accounts.models import MemberRole, Membership, Organization, OrgType, User
from community.accounts.services.rules import SLUG_RE, URL_RE, check_email, normalize_email, refuse
from community.accounts.views import OrgAccess
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.kernel.models import Page, get_or_404
from community.kernel.text import clean_body, clean_line
from community.search.services import enqueue_upsert
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql import ColumnElement

    from community.accounts.inputs import OrganizationFilters, OrganizationInput

ORG_NAME_MAX = 100
SUMMARY_MAX = 2000
WEBSITE_MAX = 300
NOTES_MAX = 5000


def _name_taken() -> str:
    return _("An organization with this name already exists.")


class OrganizationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # --- reading ------------------------------------------------------------------------------------------

    async def list_organizations(
        self, org_type: str | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Organization]:
        query = select(Organization).order_by(Organization.created_at.desc()).limit(limit).offset(offset)
        if org_type:
            query = query.where(Organization.org_type == OrgType(org_type))
        return (await self.db.scalars(query)).all()

    async def count(self, org_type: str | None = None) -> int:
        query = select(func.count()).select_from(Organization)
        if org_type:
            query = query.where(Organization.org_type == OrgType(org_type))
        return int(await self.db.scalar(query) or 0)

    async def page(self, filters: OrganizationFilters, per_page: int = 30) -> Page[Organization]:
        """One page of the listing, newest first."""
        offset = (filters.page - 1) * per_page
        items = await self.list_organizations(filters.org_type, limit=per_page, offset=offset)
        return Page(items, await self.count(filters.org_type), filters.page, per_page)

    async def by_slug(self, slug: str) -> Organization:
        org = await self.db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            raise NotFound
        return org

    async def by_id(self, organization_id: UUID) -> Organization:
        return await get_or_404(self.db, Organization, organization_id)

    # --- who speaks for an organization --------------------------------------------------------------------

    async def role_of(self, user: User | None, org: Organization) -> MemberRole | None:
        if user is None:
            return None
        return await self.db.scalar(
            select(Membership.role).where(Membership.user_id == user.id, Membership.organization_id == org.id)
        )

    async def access(self, user: User | None, org: Organization) -> OrgAccess:
        return OrgAccess(await self.role_of(user, org), bool(user and user.is_admin))

    async def require_member(self, user: User | None, org: Organization) -> MemberRole | None:
        """Private pages of an organization: its members and site admins only."""
        access = await self.access(user, org)
        if not access.is_member:
            raise Forbidden
        return access.role

    async def require_owner(self, user: User | None, org: Organization) -> None:
        if not (await self.access(user, org)).is_owner:
            raise Forbidden

    async def member_ids(self, organization_id: UUID) -> list[UUID]:
        """Everyone who speaks for the organization: whom to tell when something happens to it."""
        rows = await self.db.scalars(
            select(Membership.user_id)
            .where(Membership.organization_id == organization_id)
            .order_by(Membership.created_at)
        )
        return list(rows)

    async def organizations_of(self, user: User) -> list[tuple[Organization, MemberRole]]:
        rows = await self.db.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id)
            .order_by(Organization.name)
        )
        return [(org, role) for org, role in rows]

    # --- writing ------------------------------------------------------------------------------------------

    async def create(self, owner: User, data: OrganizationInput) -> Organization:
        values = await self._checked(data)
        org = Organization(**values)
        if not org.slug:
            org.slug = f"org-{secrets.token_hex(4)}"
        self.db.add(org)
        await self.db.flush()
        self.db.add(Membership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
        await self._flush_or_conflict()
        enqueue_upsert(self.db, organization_document(org))
        return org

    async def update(self, actor: User, org: Organization, data: OrganizationInput) -> Organization:
        await self.require_owner(actor, org)
        values = await self._checked(data, exclude=org.id)
        if not values["slug"]:
            del values["slug"]  # left empty: the web name stays, links to it keep working
        for name, value in values.items():
            setattr(org, name, value)
        await self._flush_or_conflict()
        enqueue_upsert(self.db, organization_document(org))
        return org

    async def _checked(self, data: OrganizationInput, exclude: UUID | None = None) -> dict[str, Any]:
        """The columns of an organization from its form, cleaned; a ``FormError`` with every problem."""
        errors: dict[str, str] = {}
        values = self._cleaned(data, errors)
        name, slug = values["name"], values["slug"]
        if "name" not in errors and await self._taken(func.lower(Organization.name) == name.lower(), exclude):
            errors["name"] = _name_taken()
        if slug and "slug" not in errors and await self._taken(Organization.slug == slug, exclude):
            errors["slug"] = _("This web name is taken; choose another.")
        refuse(errors)
        return values

    @staticmethod
    def _cleaned(data: OrganizationInput, errors: dict[str, str]) -> dict[str, Any]:
        name = clean_line(data.name)
        slug = clean_line(data.slug).lower()
        summary = clean_body(data.summary)
        district = clean_line(data.district)
        website = clean_line(data.website)
        contact = normalize_email(data.contact_email)
        notes = clean_body(data.internal_notes)
        if not name:
            errors["name"] = _("Enter the organization's name.")
        elif len(name) > ORG_NAME_MAX:
            errors["name"] = _("Use at most %(n)s characters for the name.", n=ORG_NAME_MAX)
        if data.org_type not in {t.value for t in OrgType}:
            errors["org_type"] = _("Choose the type of organization.")
        if slug and not SLUG_RE.match(slug):
            errors["slug"] = _("Use 1 to 80 lowercase letters, digits and hyphens.")
        if len(summary) > SUMMARY_MAX:
            errors["summary"] = _("Use at most %(n)s characters for the summary.", n=SUMMARY_MAX)
        if district and district not in DISTRICTS:
            errors["district"] = _("Choose a district from the list.")
        if website and (len(website) > WEBSITE_MAX or not URL_RE.match(website)):
            errors["website"] = _("Enter a web address that starts with http:// or https://.")
        if contact:
            check_email(contact, errors, "contact_email")
        if len(notes) > NOTES_MAX:
            errors["internal_notes"] = _("Use at most %(n)s characters for the notes.", n=NOTES_MAX)
        return {
            "name": name,
            "slug": slug,
            "org_type": OrgType(data.org_type) if "org_type" not in errors else None,
            "summary": summary,
            "district": district or None,
            "website": website or None,
            "contact_email": contact or None,
            "internal_notes": notes,
        }

    async def _taken(self, condition: ColumnElement[bool], exclude: UUID | None) -> bool:
        query = select(Organization.id).where(condition)
        if exclude:
            query = query.where(Organization.id != exclude)
        return await self.db.scalar(query) is not None

    async def _flush_or_conflict(self) -> None:
        try:
            await self.db.flush()
        except IntegrityError as exc:  # the same name taken by someone else at the same moment
            await self.db.rollback()
            raise FormError({"name": _name_taken()}) from exc
