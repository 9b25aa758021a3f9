"""Users, organizations, memberships, invitations, password-reset tokens and registrations waiting for their
confirmation by mail."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import Base
from community.kernel.models import enum_column


class OrgType(enum.StrEnum):
    """The organization types the measures name."""

    OPC = "opc"
    ENTERPRISE = "enterprise"
    GOVERNMENT = "government"  # 政府部门/事业单位
    UNIVERSITY = "university"  # 高校院所
    SERVICE = "service"  # 服务机构
    INVESTMENT = "investment"  # 投资机构


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


HANDLE_MIN = 2
HANDLE_MAX = 30


def generated_handle() -> str:
    """A handle for an account made without one (the command line, tests): "user" and twelve hex digits.
    Members choose theirs when registering (``accounts.services.handles``)."""
    return f"user{secrets.token_hex(6)}"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        # One handle however it is cased: @Li_Wei and @li_wei are one member.
        sa.Index("uq_user_account_handle", sa.text("lower(handle)"), unique=True),
        sa.CheckConstraint(
            f"handle ~ '^[A-Za-z0-9][A-Za-z0-9_-]{{{HANDLE_MIN - 1},{HANDLE_MAX - 1}}}$'",
            name="handle_format",
        ),
    )

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(50))
    # The unique name a member is mentioned by (@handle); see ``accounts.services.handles``.
    handle: Mapped[str] = mapped_column(sa.String(HANDLE_MAX), default=generated_handle)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.text("true"))
    locale: Mapped[str | None] = mapped_column(sa.String(10), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Raised when the password changes: every session started before then stops working.
    session_epoch: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan"
    )


class Organization(Base):
    __tablename__ = "organization"
    # "Newest first" listings (home, /orgs, the API) read this index instead of sorting every row.
    __table_args__ = (sa.Index("ix_organization_created_at", "created_at"),)

    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    org_type: Mapped[OrgType] = mapped_column(enum_column(OrgType, "org_type"), index=True)
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    district: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    website: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254), default=None)
    # Notes only the organization's members (and site admins) read: internal contacts, plans.
    internal_notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", lazy="raise", cascade="all, delete-orphan"
    )


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id", name="uq_membership_user_org"),)

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MemberRole] = mapped_column(
        enum_column(MemberRole, "member_role"), default=MemberRole.MEMBER
    )

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    organization: Mapped[Organization] = relationship(back_populates="memberships", lazy="raise")


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (
        # At most one open invitation per address and organization.
        sa.Index(
            "uq_invitation_open",
            "organization_id",
            "email",
            unique=True,
            postgresql_where=sa.text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
        # How many invitations a member sent, and an address received, in the last hour (the limits).
        sa.Index("ix_invitation_invited_by_created_at", "invited_by_id", "created_at"),
        sa.Index("ix_invitation_email_created_at", "email", "created_at"),
    )

    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[MemberRole] = mapped_column(
        enum_column(MemberRole, "member_role"), default=MemberRole.MEMBER
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    accepted_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    organization: Mapped[Organization] = relationship(lazy="raise")


class PasswordResetToken(Base):
    __tablename__ = "password_reset_token"

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Only a hash is stored: a leaked table does not hand out working links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class PendingRegistration(Base):
    """A registration form sent, waiting for the address's owner to open the mailed link. The form is answered
    the same whether the address has an account or not; the job that mails finds out which, and says so to
    the address's owner only."""

    __tablename__ = "pending_registration"
    __table_args__ = (sa.Index("ix_pending_registration_email_mailed_at", "email", "mailed_at"),)

    email: Mapped[str] = mapped_column(sa.String(254))
    display_name: Mapped[str] = mapped_column(sa.String(50))
    # The handle chosen in the form (None: one is made from the name when the account is created).
    handle: Mapped[str | None] = mapped_column(sa.String(HANDLE_MAX), default=None)
    # Hashed when the form is sent; cleared once the row can no longer become an account.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), default=None)
    locale: Mapped[str | None] = mapped_column(sa.String(10), default=None)
    next_url: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    # Only a hash of the mailed link's token, set when the link is mailed.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True, default=None)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    mailed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
