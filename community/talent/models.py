"""Talent recruitment: members' talent profiles (人才名片), positions that organizations post (招聘岗位), the
applications to them with their CVs and answers, and the numbered 招贤榜 issues published from open positions.

What must not happen twice is refused by the database: one profile per member, one application per member and
position, one 招贤榜 number per issue (a counter row locked while publishing, backed by a unique constraint).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import Organization
from community.db import Base
from community.kernel.models import enum_column


class EmploymentType(enum.StrEnum):
    FULL_TIME = "full_time"  # 全职
    PART_TIME = "part_time"  # 兼职
    INTERNSHIP = "internship"  # 实习
    PROJECT = "project"  # 项目合作


class PositionStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"  # closed by its organization, with a reason
    TAKEN_DOWN = "taken_down"  # taken down by an admin, with a reason


# Positions a visitor may read; drafts and taken-down positions stay with the organization and the admins.
PUBLIC_POSITION_STATUSES = (PositionStatus.OPEN, PositionStatus.CLOSED)


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the organization's answer
    SHORTLISTED = "shortlisted"
    INTERVIEW = "interview"
    OFFER = "offer"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the applicant
    CLOSED = "closed"  # the position closed before a final answer


# Applications still going on: closing the position answers them.
OPEN_APPLICATION_STATUSES = (
    ApplicationStatus.PENDING,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.INTERVIEW,
)

# Applications that are over (hired, declined, withdrawn, or closed with the position): their CVs are deleted
# once they have been closed longer than the retention period.
CLOSED_APPLICATION_STATUSES = (
    ApplicationStatus.OFFER,
    ApplicationStatus.DECLINED,
    ApplicationStatus.WITHDRAWN,
    ApplicationStatus.CLOSED,
)
_OPEN_SQL = ", ".join(f"'{s.value}'" for s in OPEN_APPLICATION_STATUSES)

# What the organization may answer, from each status (an offer and a decline are final).
ANSWERS: dict[ApplicationStatus, tuple[ApplicationStatus, ...]] = {
    ApplicationStatus.PENDING: (
        ApplicationStatus.SHORTLISTED,
        ApplicationStatus.INTERVIEW,
        ApplicationStatus.OFFER,
        ApplicationStatus.DECLINED,
    ),
    ApplicationStatus.SHORTLISTED: (
        ApplicationStatus.INTERVIEW,
        ApplicationStatus.OFFER,
        ApplicationStatus.DECLINED,
    ),
    ApplicationStatus.INTERVIEW: (ApplicationStatus.OFFER, ApplicationStatus.DECLINED),
}


class TalentProfile(Base):
    """人才名片: one per member. Only when ``open_to_offers`` do organizations see it as a candidate."""

    __tablename__ = "talent_profile"
    __table_args__ = (
        sa.CheckConstraint("years_experience >= 0 AND years_experience <= 60", name="years_in_range"),
        sa.Index("ix_talent_profile_skills", "skills", postgresql_using="gin"),
        sa.Index("ix_talent_profile_open", "open_to_offers"),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    headline: Mapped[str] = mapped_column(sa.String(100))
    skills: Mapped[list[str]] = mapped_column(ARRAY(sa.String(40)), default=list, server_default="{}")
    experience: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    years_experience: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    district: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    remote: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    links: Mapped[list[str]] = mapped_column(ARRAY(sa.String(300)), default=list, server_default="{}")
    open_to_offers: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))


class Position(Base):
    """招聘岗位: posted by a member of an organization; pay in yuan a month (a range, or 面议)."""

    __tablename__ = "talent_position"
    __table_args__ = (
        sa.CheckConstraint("pay_min IS NULL OR pay_min > 0", name="pay_min_positive"),
        sa.CheckConstraint(
            "pay_max IS NULL OR pay_min IS NULL OR pay_max >= pay_min", name="pay_range_ordered"
        ),
        sa.CheckConstraint(
            "NOT pay_negotiable OR (pay_min IS NULL AND pay_max IS NULL)", name="pay_negotiable_alone"
        ),
        sa.CheckConstraint("headcount > 0", name="headcount_positive"),
        sa.Index("ix_talent_position_status_published", "status", "published_at"),
        sa.Index("ix_talent_position_org", "organization_id"),
        sa.Index("ix_talent_position_skills", "skills", postgresql_using="gin"),
    )

    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    created_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(100))
    skills: Mapped[list[str]] = mapped_column(ARRAY(sa.String(40)), default=list, server_default="{}")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    pay_min: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    pay_max: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    pay_negotiable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    district: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    remote: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    employment_type: Mapped[EmploymentType] = mapped_column(enum_column(EmploymentType, "employment_type"))
    headcount: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    deadline: Mapped[date | None] = mapped_column(sa.Date, default=None)
    status: Mapped[PositionStatus] = mapped_column(
        enum_column(PositionStatus, "position_status"), default=PositionStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    close_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    organization: Mapped[Organization] = relationship(lazy="raise")


class Application(Base):
    """A member applies to a position with their profile (as it was), a cover note and a CV; the organization
    answers by ``respond_by``."""

    __tablename__ = "talent_application"
    __table_args__ = (
        sa.UniqueConstraint("position_id", "applicant_id", name="uq_talent_application_position_applicant"),
        sa.Index(
            "ix_talent_application_overdue", "respond_by", postgresql_where=sa.text("status = 'pending'")
        ),
        sa.Index("ix_talent_application_applicant", "applicant_id", "created_at"),
        # The retention sweep: closed applications whose CV is still kept.
        sa.Index(
            "ix_talent_application_cv_retention", "closed_at", postgresql_where=sa.text("cv_path IS NOT NULL")
        ),
        sa.CheckConstraint(f"(status IN ({_OPEN_SQL})) = (closed_at IS NULL)", name="closed_at_when_closed"),
        sa.CheckConstraint("(cv_path IS NULL) = (cv_removed_at IS NOT NULL)", name="cv_kept_or_removed"),
        sa.CheckConstraint("cv_removed_at IS NULL OR closed_at IS NOT NULL", name="cv_removed_when_closed"),
    )

    position_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("talent_position.id", ondelete="CASCADE"), index=True
    )
    applicant_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    cover_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The applicant's talent profile when they applied (the organization reads this, not later edits).
    profile_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # The CV: a random name under the CV directory (never the uploaded name), and what the person called it.
    # Once the application has been closed for the retention period the file is deleted: ``cv_path`` is then
    # NULL and ``cv_removed_at`` says when (the name and size stay, for the record).
    cv_path: Mapped[str | None] = mapped_column(sa.String(100))
    cv_filename: Mapped[str] = mapped_column(sa.String(200))
    cv_size: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.PENDING
    )
    respond_by: Mapped[date] = mapped_column(sa.Date)
    responded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    response_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Set once, by one process (UPDATE ... RETURNING), when the organization was reminded to answer.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # When the application reached a final status (hired, declined, withdrawn, closed); NULL while open.
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cv_removed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    position: Mapped[Position] = relationship(lazy="raise")


class ApplicationEvent(Base):
    __tablename__ = "talent_application_event"
    __table_args__ = (sa.Index("ix_talent_application_event_application", "application_id", "created_at"),)

    application_id: Mapped[UUID] = mapped_column(sa.ForeignKey("talent_application.id", ondelete="CASCADE"))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus, "application_status"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class BoardCounter(Base):
    """The last 招贤榜 number given out. Publishing locks this row, so numbers follow one another without gaps
    even when two admins publish at once; a rolled-back publication gives its number back."""

    __tablename__ = "talent_board_counter"
    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    scope: Mapped[str] = mapped_column(sa.String(20), unique=True)
    last_number: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class Board(Base):
    """第N期招贤榜: numbered when published, with the positions frozen as they were (``items``)."""

    __tablename__ = "talent_board"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_talent_board_number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    introduction: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    published_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    published_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # A list of position snapshots, in order; pages, the CSV, the feed and the API read only this.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")


class BoardDraft(Base):
    """A 招贤榜 issue being composed: its theme, introduction and chosen positions, editable and previewed by
    the site's admins (who publish the 招贤榜) and shown to nobody else. It has no number: publishing takes
    one and freezes the positions into a ``Board`` in the transaction that deletes the draft. Kept apart from
    the published issues, so no page, feed, file or API that reads ``Board`` can ever show a draft."""

    __tablename__ = "talent_board_draft"

    title: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    introduction: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The chosen positions' ids, in order (strings: a position deleted since is simply left out).
    position_ids: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    created_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
