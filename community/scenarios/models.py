"""Scenarios (real needs), capability profiles of OPCs, numbered list issues and expressions of interest."""

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


class ScenarioKind(enum.StrEnum):
    NEED = "need"  # 真实业务需求
    BOTTLENECK = "bottleneck"  # 技术瓶颈
    BENCHMARK = "benchmark"  # 标杆案例


class ScenarioScale(enum.StrEnum):
    MAJOR = "major"  # 综合性重大场景
    INTEGRATED = "integrated"  # 行业领域集成式场景
    FOCUSED = "focused"  # 高价值小切口场景


class ScenarioStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for an admin
    RETURNED = "returned"  # sent back with a reason; the owner edits and submits again
    PUBLISHED = "published"
    DOCKING = "docking"  # 对接中
    LANDED = "landed"  # 已落地
    CLOSED = "closed"


# Statuses a visitor can see; everything else stays with the owner organization and the admins.
PUBLIC_STATUSES = (
    ScenarioStatus.PUBLISHED,
    ScenarioStatus.DOCKING,
    ScenarioStatus.LANDED,
    ScenarioStatus.CLOSED,
)


class Maturity(enum.StrEnum):
    CONCEPT = "concept"  # 概念验证
    PILOT = "pilot"  # 试点应用
    PRODUCT = "product"  # 产品化
    SCALED = "scaled"  # 规模化应用


class ProfileStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # waiting for an admin to verify
    VERIFIED = "verified"
    REJECTED = "rejected"


class ListKind(enum.StrEnum):
    SCENARIOS = "scenarios"  # 场景机会清单
    CAPABILITIES = "capabilities"  # 技术能力清单


class InterestStatus(enum.StrEnum):
    PENDING = "pending"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Scenario(Base):
    __tablename__ = "scenario"
    __table_args__ = (
        sa.CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min_not_negative"),
        sa.CheckConstraint(
            "budget_max IS NULL OR budget_min IS NULL OR budget_max >= budget_min",
            name="budget_range_ordered",
        ),
        sa.CheckConstraint(
            "NOT budget_negotiable OR (budget_min IS NULL AND budget_max IS NULL)",
            name="budget_negotiable_alone",
        ),
        sa.Index("ix_scenario_status_published", "status", "published_at"),
        # The public list, newest first, reads this index instead of sorting every public scenario.
        sa.Index(
            "ix_scenario_public_newest",
            sa.text("published_at DESC"),
            sa.text("id DESC"),
            postgresql_where=sa.text("status IN ('published', 'docking', 'landed', 'closed')"),
        ),
        sa.Index("ix_scenario_domains", "domains", postgresql_using="gin"),
        sa.Index("ix_scenario_org", "organization_id"),
    )

    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    created_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[ScenarioKind] = mapped_column(enum_column(ScenarioKind, "scenario_kind"))
    scale: Mapped[ScenarioScale] = mapped_column(enum_column(ScenarioScale, "scenario_scale"))
    domains: Mapped[list[str]] = mapped_column(ARRAY(sa.String(20)), default=list, server_default="{}")
    district: Mapped[str] = mapped_column(sa.String(40))
    # Public: what anybody may read.
    abstract: Mapped[str] = mapped_column(sa.Text)
    # Confidential: only the owner, admins, and members of a verified OPC who accepted the terms for this
    # scenario (``ScenarioAccess.can_read_details``, the one decision).
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    expected_outcome: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    # Yuan, whole amounts; a single amount has min == max; 面议 has neither.
    budget_min: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    budget_max: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    budget_negotiable: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.text("false")
    )
    deadline: Mapped[date | None] = mapped_column(sa.Date, default=None)
    status: Mapped[ScenarioStatus] = mapped_column(
        enum_column(ScenarioStatus, "scenario_status"), default=ScenarioStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # 示范应用场景: the year admins selected it for, if any.
    demonstration_year: Mapped[int | None] = mapped_column(sa.SmallInteger, default=None, index=True)
    landed_with_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="SET NULL"), default=None
    )

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="raise")
    landed_with: Mapped[Organization | None] = relationship(foreign_keys=[landed_with_id], lazy="raise")


class ScenarioEvent(Base):
    """One step on a scenario's timeline: who moved it, from where to where, and why."""

    __tablename__ = "scenario_event"
    __table_args__ = (sa.Index("ix_scenario_event_scenario", "scenario_id", "created_at"),)

    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    from_status: Mapped[ScenarioStatus | None] = mapped_column(enum_column(ScenarioStatus, "scenario_status"))
    to_status: Mapped[ScenarioStatus] = mapped_column(enum_column(ScenarioStatus, "scenario_status"))
    # "created", "submitted", "returned", "published", "edited", "demonstration", ...
    action: Mapped[str] = mapped_column(sa.String(30))
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class ConfidentialityAcceptance(Base):
    """A member of a verified OPC accepted the confidentiality terms for one scenario; kept for the owner to
    see. The owner may withdraw it (``revoked_at``): the row stays, one per reader and scenario, so that the
    reader cannot accept again; only the owner grants it again."""

    __tablename__ = "scenario_confidentiality"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "user_id", name="uq_confidentiality_scenario_user"),
        sa.CheckConstraint(
            "revoked_by_id IS NULL OR revoked_at IS NOT NULL", name="revoked_by_only_when_revoked"
        ),
    )

    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    # The OPC the reader read for; it must still be a verified OPC of theirs for the details to show.
    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    terms_version: Mapped[str] = mapped_column(sa.String(20))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class RevisionStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an admin; readers still see the published text
    APPROVED = "approved"  # applied to the scenario
    REJECTED = "rejected"  # not applied; the reason is on the timeline, the text stays here
    DISCARDED = "discarded"  # the scenario landed or closed before an admin looked


class ScenarioRevision(Base):
    """An owner's change to a published scenario, held until an admin approves it.

    A scenario that readers can see (published or docking) is not changed by its owner directly: its
    public text is what admins reviewed, and its confidential text is what readers accepted the terms for.
    The edit is kept here whole, as typed (``values``: a ``ScenarioInput``), while the scenario keeps
    showing its approved version, interests and all; approving applies it, rejecting keeps it here with the
    reason. Nothing is lost and nothing unreviewed goes live. One pending revision per scenario: a second
    edit replaces the first (the owner's form opens on it)."""

    __tablename__ = "scenario_revision"
    __table_args__ = (
        sa.Index(
            "uq_scenario_revision_pending",
            "scenario_id",
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_scenario_revision_scenario", "scenario_id", "created_at"),
    )

    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"))
    submitted_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[RevisionStatus] = mapped_column(
        enum_column(RevisionStatus, "scenario_revision_status"), default=RevisionStatus.PENDING
    )
    reviewed_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    review_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    scenario: Mapped[Scenario] = relationship(lazy="raise")


class CapabilityProfile(Base):
    __tablename__ = "capability_profile"
    __table_args__ = (
        sa.Index("ix_capability_profile_domains", "domains", postgresql_using="gin"),
        sa.Index("ix_capability_profile_status", "status", "verified_at"),
        sa.Index(
            "ix_capability_profile_verified_newest",
            sa.text("verified_at DESC"),
            sa.text("id DESC"),
            postgresql_where=sa.text("status = 'verified'"),
        ),
    )

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str] = mapped_column(sa.Text)
    cases: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    team_size: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    district: Mapped[str] = mapped_column(sa.String(40))
    # Every item's domain, kept here too so that the list filters with one GIN index.
    domains: Mapped[list[str]] = mapped_column(ARRAY(sa.String(20)), default=list, server_default="{}")
    status: Mapped[ProfileStatus] = mapped_column(
        enum_column(ProfileStatus, "profile_status"), default=ProfileStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    verified_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    review_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # A verified profile stays in the list when its organization edits it; admins see it to check again.
    edited_after_verification: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.text("false")
    )

    organization: Mapped[Organization] = relationship(lazy="raise")
    items: Mapped[list[CapabilityItem]] = relationship(
        back_populates="profile",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="CapabilityItem.position",
    )


class CapabilityItem(Base):
    __tablename__ = "capability_item"
    __table_args__ = (
        sa.UniqueConstraint("profile_id", "position", name="uq_capability_item_position"),
        # The capability list's maturity filter: which profiles have an item this mature.
        sa.Index("ix_capability_item_maturity", "maturity", "profile_id"),
    )

    profile_id: Mapped[UUID] = mapped_column(sa.ForeignKey("capability_profile.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    domain: Mapped[str] = mapped_column(sa.String(20))
    technology: Mapped[str] = mapped_column(sa.String(200))
    maturity: Mapped[Maturity] = mapped_column(enum_column(Maturity, "capability_maturity"))

    profile: Mapped[CapabilityProfile] = relationship(back_populates="items", lazy="raise")


class ListCounter(Base):
    """The last number given out per list. Publishing locks this row, so numbers come one after another
    without gaps even when two admins publish at once; a rolled-back publication gives its number back."""

    __tablename__ = "list_counter"
    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    list_kind: Mapped[ListKind] = mapped_column(enum_column(ListKind, "list_kind"), unique=True)
    last_number: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class ListIssue(Base):
    """第N期场景机会清单 / 第N期技术能力清单: a draft until published, then a fixed snapshot."""

    __tablename__ = "list_issue"
    __table_args__ = (
        sa.UniqueConstraint("list_kind", "number", name="uq_list_issue_kind_number"),
        sa.CheckConstraint("(number IS NULL) = (published_at IS NULL)", name="numbered_when_published"),
        sa.CheckConstraint("number IS NULL OR number > 0", name="number_positive"),
    )

    list_kind: Mapped[ListKind] = mapped_column(enum_column(ListKind, "list_kind"))
    number: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    title: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    introduction: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    publish_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_by_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    published_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )

    items: Mapped[list[ListIssueItem]] = relationship(
        back_populates="issue", lazy="raise", cascade="all, delete-orphan", order_by="ListIssueItem.position"
    )


class ListIssueItem(Base):
    __tablename__ = "list_issue_item"
    __table_args__ = (
        sa.UniqueConstraint("issue_id", "position", name="uq_list_issue_item_position", deferrable=True),
        sa.UniqueConstraint("issue_id", "source_id", name="uq_list_issue_item_source"),
    )

    issue_id: Mapped[UUID] = mapped_column(sa.ForeignKey("list_issue.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    # The scenario or capability profile the item was taken from (no foreign key: the snapshot outlives it).
    source_id: Mapped[UUID] = mapped_column()
    # What the item said when the issue was published; the issue page reads only this.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")

    issue: Mapped[ListIssue] = relationship(back_populates="items", lazy="raise")


class Interest(Base):
    """揭榜/意向: an OPC offers to take on a scenario; the owner must answer by ``respond_by``."""

    __tablename__ = "scenario_interest"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "organization_id", name="uq_interest_scenario_org"),
        sa.Index("ix_interest_overdue", "respond_by", postgresql_where=sa.text("status = 'pending'")),
    )

    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    submitted_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    proposal: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[InterestStatus] = mapped_column(
        enum_column(InterestStatus, "interest_status"), default=InterestStatus.PENDING
    )
    respond_by: Mapped[date] = mapped_column(sa.Date)
    responded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    response_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # When the owner was reminded that an answer is due; set once, by one process (UPDATE ... RETURNING).
    reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    scenario: Mapped[Scenario] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")


class InterestEvent(Base):
    __tablename__ = "scenario_interest_event"
    __table_args__ = (sa.Index("ix_interest_event_interest", "interest_id", "created_at"),)

    interest_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario_interest.id", ondelete="CASCADE"))
    actor_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[InterestStatus] = mapped_column(enum_column(InterestStatus, "interest_status"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
