"""Invitations: an owner asks someone by email to join; the invited address accepts, once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from community.accounts.models import Invitation, MemberRole, Membership, Organization, User
from community.accounts.services.accounts import HOUR, hourly_limit, lock_for, site_link
from community.accounts.services.organizations import OrganizationService
from community.accounts.services.passwords import hash_token, new_link_token
from community.accounts.services.rules import check_email, normalize_email, quoted_for_mail, refuse
from community.accounts.views import InvitationView
from community.errors import FormError, NotFound
from community.i18n import _
from community.kernel.clock import now

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.notifications.email import Mailer

# How much of a name a member wrote goes into an invitation mail.
MAIL_ORG_NAME_MAX = 60
MAIL_PERSON_NAME_MAX = 30


class InvitationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.organizations = OrganizationService(db)

    async def open_for(self, org: Organization) -> Sequence[Invitation]:
        """Invitations neither accepted, withdrawn nor expired, newest first."""
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
        self, actor: User, org: Organization, email: str, role: str, mailer: Mailer, settings: Settings
    ) -> Invitation:
        await self.organizations.require_owner(actor, org)
        email = normalize_email(email)
        errors: dict[str, str] = {}
        check_email(email, errors)
        if role not in {r.value for r in MemberRole}:
            errors["role"] = _("Choose a role.")
        if not errors and await self._is_member(org, email):
            errors["email"] = _("This person is already a member.")
        refuse(errors)
        await self._within_limits(actor, email, settings)
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
        token, token_hash = new_link_token()
        invitation = Invitation(
            organization_id=org.id,
            email=email,
            role=MemberRole(role),
            token_hash=token_hash,
            invited_by_id=actor.id,
            expires_at=now() + timedelta(days=settings.invitation_ttl_days),
        )
        self.db.add(invitation)
        try:
            await self.db.flush()
        except IntegrityError as exc:  # the same address invited twice at the same moment
            await self.db.rollback()
            raise FormError({"email": _("An invitation to this address was just sent.")}) from exc
        # The names are the members' words, quoted and shortened, with nothing a mail program would make a
        # link of; the subject and the link are the site's own.
        await mailer.send_template(
            email,
            _("An invitation to join an organization on %(site)s", site=settings.site_name),
            "accounts/email/invitation.txt",
            inviter=quoted_for_mail(actor.display_name, MAIL_PERSON_NAME_MAX),
            org_name=quoted_for_mail(org.name, MAIL_ORG_NAME_MAX),
            url=site_link(settings, f"/invitations/{token}"),
            days=settings.invitation_ttl_days,
        )
        return invitation

    async def _within_limits(self, actor: User, email: str, settings: Settings) -> None:
        """At most ``invitations_per_sender_per_hour`` from one member, and
        ``invitations_per_address_per_hour`` to one address (whatever the organizations). Counted under a
        lock each, so that invitations sent at the same moment cannot all slip under a limit."""
        since = now() - HOUR
        per_sender = hourly_limit(settings, settings.invitations_per_sender_per_hour)
        if per_sender is not None:
            await lock_for(self.db, f"accounts.invitations.sender:{actor.id}")
            sent = await self.db.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.invited_by_id == actor.id, Invitation.created_at > since)
            )
            if (sent or 0) >= per_sender:
                raise FormError({"email": _("You have sent many invitations this hour. Try again later.")})
        per_address = hourly_limit(settings, settings.invitations_per_address_per_hour)
        if per_address is not None:
            await lock_for(self.db, f"accounts.invitations.address:{email}")
            received = await self.db.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.email == email, Invitation.created_at > since)
            )
            if (received or 0) >= per_address:
                raise FormError(
                    {"email": _("This address has had several invitations this hour. Try again later.")}
                )

    async def _is_member(self, org: Organization, email: str) -> bool:
        found = await self.db.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org.id, User.email == email)
        )
        return found is not None

    async def revoke(self, actor: User, org: Organization, invitation_id: UUID) -> None:
        await self.organizations.require_owner(actor, org)
        invitation = await self.db.get(Invitation, invitation_id)
        if invitation is None or invitation.organization_id != org.id:
            raise NotFound
        invitation.revoked_at = now()

    async def by_token(self, token: str, lock: bool = False) -> Invitation:
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
    def problem(invitation: Invitation, user: User | None) -> str | None:
        """Why ``user`` (or a visitor) cannot accept the invitation, or None."""
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

    async def view(self, token: str, user: User | None) -> InvitationView:
        invitation = await self.by_token(token)
        return InvitationView(invitation, self.problem(invitation, user))

    async def accept(self, user: User, token: str) -> Organization:
        invitation = await self.by_token(token, lock=True)
        if invitation.accepted_by_id == user.id:
            return invitation.organization  # a second click on the same button
        problem = self.problem(invitation, user)
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
