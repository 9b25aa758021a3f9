"""Courses, trainings, roadshows and matchmaking events, and who registered for them.

Places never run over: registering locks the event row (SELECT … FOR UPDATE), so registrations for one
event happen one after another; the counter of registered people is also held by a CHECK constraint.
Each registration takes the next number of its event's queue under that lock, so the waiting list is in
the order registrations were committed.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base
from community.kernel.models import enum_column


class EventKind(enum.StrEnum):
    COURSE = "course"  # 课程
    TRAINING = "training"  # 专项培训 (智能体应用专项培训)
    ROADSHOW = "roadshow"  # 路演
    INVESTMENT = "investment"  # 投融资对接
    SALON = "salon"  # 沙龙或其他


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    ORG_TYPES = "org_types"  # members of organizations of certain types
    STUDENTS = "students"  # verified students of Wuhan's universities


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_status_starts_at", "status", "starts_at"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            "registered_count >= 0 AND registered_count <= capacity", name="registered_within_capacity"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    registration_deadline: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    online: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    address: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    district: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    # Shown only to people registered and to the organizer.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    capacity: Mapped[int] = mapped_column(sa.Integer)
    audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "event_audience"), default=Audience.EVERYONE
    )
    audience_org_types: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(20)), default=list, server_default="{}"
    )
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    registered_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # The last queue number handed out; taken under the row lock, so numbers follow commit order.
    queue_counter: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The calendar's revision (iCalendar SEQUENCE) and when it was made (DTSTAMP, LAST-MODIFIED): raised
    # whenever what a calendar shows changes (time, place, text, cancellation), so calendar apps that already
    # hold the event take the change. Not raised by registrations, which no calendar shows.
    sequence: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    revised_at: Mapped[datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=lambda: datetime.now(UTC), server_default=sa.func.now()
    )


class Registration(Base):
    __tablename__ = "event_registration"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_registration_member"),
        sa.Index("ix_event_registration_queue", "event_id", "status", "queue_no"),
    )

    event_id: Mapped[UUID] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "registration_status"))
    # Place in the event's queue: registering again after cancelling takes a new (last) number.
    queue_no: Mapped[int] = mapped_column(sa.BigInteger)
    registered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class CalendarFeedKey(Base):
    """A member's calendar-feed secret: part of what their personal feed address is signed with. Resetting
    it (a new random secret) makes the old address stop working at once. A member without a row still has
    the address first given out (signed without a secret), until their first reset."""

    __tablename__ = "event_calendar_feed_key"
    __table_args__ = (
        sa.UniqueConstraint("user_id", name="uq_event_calendar_feed_key_user"),
        sa.CheckConstraint("length(secret) >= 16", name="secret_long_enough"),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    secret: Mapped[str] = mapped_column(sa.String(64))
