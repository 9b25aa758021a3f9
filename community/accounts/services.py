"""Rules for accounts and organizations. Controllers call these; nothing else touches the tables."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from community.accounts.models import (
    Invitation,
    MemberRole,
    Membership,
    Organization,
    OrgType,
    PasswordResetToken,
    User,
)
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.search.schemas import SearchDocument
from community.search.services import enqueue_upsert
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.notifications.email import Mailer

EMAIL_RE = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"'(),;:]+\.[^@\s<>\"'(),;:.]+$")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
NAME_MAX = 50
PASSWORD_MIN = 8
PASSWORD_MAX = 256

_hasher = PasswordHasher()
# Verified against when the address is unknown, so that a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def clean_text(value: str | None) -> str:
    """Strip, normalise to NFC and drop control characters (but keep newlines and tabs)."""
    value = unicodedata.normalize("NFC", value or "")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def normalize_email(value: str | None) -> str:
    return clean_text(value).lower()


def check_email(email: str, errors: dict[str, str], field: str = "email") -> None:
    if not email:
        errors[field] = _("Enter your email address.")
    elif len(email) > 254 or not EMAIL_RE.match(email):
        errors[field] = _("Enter a valid email address, like name@example.com.")


def check_password(password: str, errors: dict[str, str], field: str = "password") -> None:
    if len(password) < PASSWORD_MIN:
        errors[field] = _("Use at least %(n)s characters for the password.", n=PASSWORD_MIN)
    elif len(password) > PASSWORD_MAX:
        errors[field] = _("Use at most %(n)s characters for the password.", n=PASSWORD_MAX)


def check_display_name(name: str, errors: dict[str, str], field: str = "display_name") -> None:
    if not name:
        errors[field] = _("Enter the name others will see.")
    elif len(name) > NAME_MAX:
        errors[field] = _("Use at most %(n)s characters for the name.", n=NAME_MAX)


class AccountService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, user_id: UUID) -> User | None:
        return await self.db.get(User, user_id)

    async def get_or_fail(self, user_id: UUID) -> User:
        user = await self.db.get(User, user_id)
        if user is None:
            raise NotFound
        return user

    async def by_email(self, email: str) -> User | None:
        return await self.db.scalar(select(User).where(User.email == normalize_email(email)))

    async def register(self, email: str, display_name: str, password: str, locale: str | None = None) -> User:
        email = normalize_email(email)
        display_name = clean_text(display_name)
        errors: dict[str, str] = {}
        check_email(email, errors)
        check_display_name(display_name, errors)
        check_password(password, errors)
        if "email" not in errors and await self.by_email(email):
            errors["email"] = _("This email address is already registered. Log in, or reset the password.")
        if errors:
            raise FormError(errors)
        user = User(
            email=email, display_name=display_name, password_hash=hash_password(password), locale=locale
        )
        self.db.add(user)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # two registrations with one address at the same moment
            await self.db.rollback()
            raise FormError(
                {"email": _("This email address is already registered. Log in, or reset the password.")}
            ) from exc
        return user

    async def authenticate(self, email: str, password: str) -> User:
        user = await self.by_email(email)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            user = None
        if user is None or not user.is_active:
            raise FormError({"password": _("The email address or the password is wrong.")})
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now()
        return user

    async def set_locale(self, user: User, locale: str) -> None:
        db_user = await self.db.get(User, user.id)
        if db_user is not None:
            db_user.locale = locale

    async def update_profile(self, user_id: UUID, display_name: str) -> User:
        display_name = clean_text(display_name)
        errors: dict[str, str] = {}
        check_display_name(display_name, errors)
        if errors:
            raise FormError(errors)
        user = await self.db.get(User, user_id)
        if user is None:
            raise NotFound
        user.display_name = display_name
        return user

    async def change_password(self, user_id: UUID, current: str, new: str) -> None:
        user = await self.db.get(User, user_id)
        if user is None:
            raise NotFound
        errors: dict[str, str] = {}
        try:
            _hasher.verify(user.password_hash, current)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            errors["current_password"] = _("The current password is wrong.")
        check_password(new, errors, "new_password")
        if errors:
            raise FormError(errors)
        user.password_hash = hash_password(new)
        user.session_epoch += 1

    async def create_admin(self, email: str, password: str, display_name: str | None = None) -> User:
        """Create a site admin, or make an existing member one and set the password."""
        email = normalize_email(email)
        errors: dict[str, str] = {}
        check_email(email, errors)
        check_password(password, errors)
        if errors:
            raise FormError(errors)
        user = await self.by_email(email)
        if user is None:
            user = User(
                email=email,
                display_name=clean_text(display_name) or email.split("@")[0][:NAME_MAX],
                password_hash=hash_password(password),
            )
            self.db.add(user)
        else:
            user.password_hash = hash_password(password)
            user.session_epoch += 1
        user.is_admin = True
        user.is_active = True
        await self.db.flush()
        return user

    async def start_password_reset(self, email: str, reset_url: str, mailer: Mailer, ttl: int) -> None:
        """Mail a single-use reset link if the address is registered. Says nothing either way, so that
        the form cannot be used to learn who has an account."""
        email = normalize_email(email)
        errors: dict[str, str] = {}
        check_email(email, errors)
        if errors:
            raise FormError(errors)
        user = await self.by_email(email)
        if user is None or not user.is_active:
            return
        token = secrets.token_urlsafe(32)
        self.db.add(
            PasswordResetToken(
                user_id=user.id, token_hash=hash_token(token), expires_at=now() + timedelta(seconds=ttl)
            )
        )
        await self.db.flush()
        await mailer.send_template(
            user.email,
            _("Reset your password"),
            "accounts/email/password_reset.txt",
            name=user.display_name,
            url=f"{reset_url.rstrip('/')}/{token}",
            minutes=ttl // 60,
        )

    async def _reset_token(self, token: str) -> PasswordResetToken | None:
        row = await self.db.scalar(
            select(PasswordResetToken)
            .where(PasswordResetToken.token_hash == hash_token(token))
            .with_for_update()
        )
        if row is None or row.used_at is not None or row.expires_at < now():
            return None
        return row

    async def reset_token_is_valid(self, token: str) -> bool:
        return await self._reset_token(token) is not None

    async def reset_password(self, token: str, password: str) -> User:
        row = await self._reset_token(token)
        if row is None:
            raise FormError({"token": _("This link has expired or was already used. Ask for a new one.")})
        errors: dict[str, str] = {}
        check_password(password, errors)
        if errors:
            raise FormError(errors)
        user = await self.db.get(User, row.user_id)
        if user is None:
            raise NotFound
        user.password_hash = hash_password(password)
        user.session_epoch += 1  # whoever was logged in with the old password is logged out
        row.used_at = now()
        return user


ORGANIZATION_DOC_TYPE = "organization"


def organization_document(org: Organization) -> SearchDocument:
    """How an organization appears in search: its name, what it does, its type and district."""
    return SearchDocument(
        doc_type=ORGANIZATION_DOC_TYPE,
        doc_id=str(org.id),
        title=org.name,
        body=org.summary,
        url=f"/orgs/{org.slug}",
        district=org.district,
        status=org.org_type.value,
        published_at=org.created_at,
        extra={"meta": org.district},
    )


async def organization_documents(db: AsyncSession) -> AsyncIterator[SearchDocument]:
    """Every organization, for rebuilding the index."""
    result = await db.stream_scalars(select(Organization).order_by(Organization.created_at))
    async for org in result:
        yield organization_document(org)


@dataclass(frozen=True)
class OrganizationInput:
    name: str = ""
    org_type: str = ""
    slug: str = ""
    summary: str = ""
    district: str = ""
    website: str = ""
    contact_email: str = ""
    internal_notes: str = ""


@dataclass(frozen=True)
class MemberView:
    user_id: UUID
    display_name: str
    email: str
    role: MemberRole
    joined_at: datetime


class OrganizationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

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

    async def by_slug(self, slug: str) -> Organization:
        org = await self.db.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            raise NotFound
        return org

    async def role_of(self, user: User | None, org: Organization) -> MemberRole | None:
        if user is None:
            return None
        return await self.db.scalar(
            select(Membership.role).where(Membership.user_id == user.id, Membership.organization_id == org.id)
        )

    async def require_member(self, user: User | None, org: Organization) -> MemberRole | None:
        """Private pages of an organization: its members and site admins only."""
        role = await self.role_of(user, org)
        if role is None and not (user and user.is_admin):
            raise Forbidden
        return role

    async def require_owner(self, user: User | None, org: Organization) -> None:
        role = await self.role_of(user, org)
        if role is not MemberRole.OWNER and not (user and user.is_admin):
            raise Forbidden

    async def member_ids(self, organization_id: UUID) -> list[UUID]:
        """Everyone who speaks for the organization: whom to tell when something happens to it."""
        rows = await self.db.scalars(
            select(Membership.user_id)
            .where(Membership.organization_id == organization_id)
            .order_by(Membership.created_at)
        )
        return list(rows)

    async def by_id(self, organization_id: UUID) -> Organization:
        org = await self.db.get(Organization, organization_id)
        if org is None:
            raise NotFound
        return org

    async def organizations_of(self, user: User) -> list[tuple[Organization, MemberRole]]:
        rows = await self.db.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id)
            .order_by(Organization.name)
        )
        return [(org, role) for org, role in rows]

    def _validate(self, data: OrganizationInput, errors: dict[str, str]) -> dict[str, str | None]:
        name = clean_text(data.name)
        slug = clean_text(data.slug).lower()
        summary = clean_text(data.summary)
        district = clean_text(data.district)
        website = clean_text(data.website)
        contact = normalize_email(data.contact_email)
        notes = clean_text(data.internal_notes)
        if not name:
            errors["name"] = _("Enter the organization's name.")
        elif len(name) > 100:
            errors["name"] = _("Use at most %(n)s characters for the name.", n=100)
        if data.org_type not in {t.value for t in OrgType}:
            errors["org_type"] = _("Choose the type of organization.")
        if slug and not SLUG_RE.match(slug):
            errors["slug"] = _("Use 1 to 80 lowercase letters, digits and hyphens.")
        if len(summary) > 2000:
            errors["summary"] = _("Use at most %(n)s characters for the summary.", n=2000)
        if district and district not in DISTRICTS:
            errors["district"] = _("Choose a district from the list.")
        if website and (len(website) > 300 or not URL_RE.match(website)):
            errors["website"] = _("Enter a web address that starts with http:// or https://.")
        if contact:
            check_email(contact, errors, "contact_email")
        if len(notes) > 5000:
            errors["internal_notes"] = _("Use at most %(n)s characters for the notes.", n=5000)
        return {
            "name": name,
            "slug": slug,
            "summary": summary,
            "district": district or None,
            "website": website or None,
            "contact_email": contact or None,
            "internal_notes": notes,
        }

    async def _name_and_slug_free(
        self, name: str | None, slug: str | None, errors: dict[str, str], exclude: UUID | None = None
    ) -> None:
        if name and "name" not in errors:
            query = select(Organization.id).where(func.lower(Organization.name) == name.lower())
            if exclude:
                query = query.where(Organization.id != exclude)
            if await self.db.scalar(query):
                errors["name"] = _("An organization with this name already exists.")
        if slug and "slug" not in errors:
            query = select(Organization.id).where(Organization.slug == slug)
            if exclude:
                query = query.where(Organization.id != exclude)
            if await self.db.scalar(query):
                errors["slug"] = _("This web name is taken; choose another.")

    async def create(self, owner: User, data: OrganizationInput) -> Organization:
        errors: dict[str, str] = {}
        values = self._validate(data, errors)
        await self._name_and_slug_free(values["name"], values["slug"], errors)
        if errors:
            raise FormError(errors)
        org = Organization(
            name=values["name"],
            slug=values["slug"] or f"org-{secrets.token_hex(4)}",
            org_type=OrgType(data.org_type),
            summary=values["summary"] or "",
            district=values["district"],
            website=values["website"],
            contact_email=values["contact_email"],
            internal_notes=values["internal_notes"] or "",
        )
        self.db.add(org)
        await self.db.flush()
        self.db.add(Membership(user_id=owner.id, organization_id=org.id, role=MemberRole.OWNER))
        await self._flush_or_conflict()
        enqueue_upsert(self.db, organization_document(org))
        return org

    async def update(self, actor: User, org: Organization, data: OrganizationInput) -> Organization:
        await self.require_owner(actor, org)
        errors: dict[str, str] = {}
        values = self._validate(data, errors)
        await self._name_and_slug_free(values["name"], values["slug"], errors, exclude=org.id)
        if errors:
            raise FormError(errors)
        org.name = values["name"] or org.name
        if values["slug"]:
            org.slug = values["slug"]
        org.org_type = OrgType(data.org_type)
        org.summary = values["summary"] or ""
        org.district = values["district"]
        org.website = values["website"]
        org.contact_email = values["contact_email"]
        org.internal_notes = values["internal_notes"] or ""
        await self._flush_or_conflict()
        enqueue_upsert(self.db, organization_document(org))
        return org

    async def _flush_or_conflict(self) -> None:
        try:
            await self.db.flush()
        except IntegrityError as exc:  # the same name taken by someone else at the same moment
            await self.db.rollback()
            raise FormError({"name": _("An organization with this name already exists.")}) from exc

    async def members(self, org: Organization) -> list[MemberView]:
        rows = await self.db.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org.id)
            .order_by(Membership.role.desc(), Membership.created_at)
        )
        return [
            MemberView(user.id, user.display_name, user.email, membership.role, membership.created_at)
            for membership, user in rows
        ]

    async def open_invitations(self, org: Organization) -> Sequence[Invitation]:
        return (
            await self.db.scalars(
                select(Invitation)
                .where(
                    Invitation.organization_id == org.id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > now(),
                )
                .order_by(Invitation.created_at.desc())
            )
        ).all()

    async def invite(
        self,
        actor: User,
        org: Organization,
        email: str,
        role: str,
        accept_url: str,
        mailer: Mailer,
        ttl_days: int,
    ) -> Invitation:
        await self.require_owner(actor, org)
        email = normalize_email(email)
        errors: dict[str, str] = {}
        check_email(email, errors)
        if role not in {r.value for r in MemberRole}:
            errors["role"] = _("Choose a role.")
        if not errors:
            already = await self.db.scalar(
                select(Membership.id)
                .join(User, User.id == Membership.user_id)
                .where(Membership.organization_id == org.id, User.email == email)
            )
            if already:
                errors["email"] = _("This person is already a member.")
        if errors:
            raise FormError(errors)
        # A new invitation to the same address replaces any earlier one not yet accepted, expired or not.
        await self.db.execute(
            update(Invitation)
            .where(
                Invitation.organization_id == org.id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now())
        )
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            organization_id=org.id,
            email=email,
            role=MemberRole(role),
            token_hash=hash_token(token),
            invited_by_id=actor.id,
            expires_at=now() + timedelta(days=ttl_days),
        )
        self.db.add(invitation)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # the same address invited twice at the same moment
            await self.db.rollback()
            raise FormError({"email": _("An invitation to this address was just sent.")}) from exc
        await mailer.send_template(
            email,
            _("You are invited to join %(org)s", org=org.name),
            "accounts/email/invitation.txt",
            inviter=actor.display_name,
            org_name=org.name,
            url=f"{accept_url.rstrip('/')}/{token}",
            days=ttl_days,
        )
        return invitation

    async def revoke_invitation(self, actor: User, org: Organization, invitation_id: UUID) -> None:
        await self.require_owner(actor, org)
        invitation = await self.db.get(Invitation, invitation_id)
        if invitation is None or invitation.organization_id != org.id:
            raise NotFound
        invitation.revoked_at = now()

    async def invitation_by_token(self, token: str, lock: bool = False) -> Invitation:
        query = (
            select(Invitation)
            .options(selectinload(Invitation.organization))
            .where(Invitation.token_hash == hash_token(token))
        )
        invitation = await self.db.scalar(query.with_for_update(of=Invitation) if lock else query)
        if invitation is None:
            raise NotFound
        return invitation

    @staticmethod
    def invitation_problem(invitation: Invitation, user: User | None) -> str | None:
        if invitation.revoked_at is not None:
            return _("This invitation was withdrawn.")
        if invitation.accepted_at is not None:
            return _("This invitation was already accepted.")
        if invitation.expires_at < now():
            return _("This invitation has expired. Ask for a new one.")
        if user is not None and user.email != invitation.email:
            return _(
                "This invitation was sent to %(email)s. Log in with that address to accept it.",
                email=invitation.email,
            )
        return None

    async def accept_invitation(self, user: User, token: str) -> Organization:
        invitation = await self.invitation_by_token(token, lock=True)
        if invitation.accepted_by_id == user.id:
            return invitation.organization  # a second click on the same button
        problem = self.invitation_problem(invitation, user)
        if problem:
            raise FormError({"invitation": problem})
        existing = await self.db.scalar(
            select(Membership).where(
                Membership.user_id == user.id, Membership.organization_id == invitation.organization_id
            )
        )
        if existing is None:
            self.db.add(
                Membership(user_id=user.id, organization_id=invitation.organization_id, role=invitation.role)
            )
        invitation.accepted_at = now()
        invitation.accepted_by_id = user.id
        await self.db.flush()
        return invitation.organization

    async def remove_member(self, actor: User, org: Organization, user_id: UUID) -> None:
        """Owners remove members; anyone may leave. The last owner cannot leave the organization ownerless."""
        if actor.id != user_id:
            await self.require_owner(actor, org)
        # One membership change per organization at a time: two owners removing each other at the same
        # moment must not leave it without an owner.
        await self.db.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
        membership = await self.db.scalar(
            select(Membership)
            .where(Membership.organization_id == org.id, Membership.user_id == user_id)
            .with_for_update()
        )
        if membership is None:
            raise NotFound
        if membership.role is MemberRole.OWNER:
            owners = await self.db.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.organization_id == org.id, Membership.role == MemberRole.OWNER)
            )
            if (owners or 0) <= 1:
                raise FormError({"member": _("An organization needs at least one owner.")})
        await self.db.delete(membership)
        await self.db.flush()
