"""Policy measures (政策), each organization's policy facts (政策画像) and the record of which organization
was told about which version of a policy, and whether one of its members opened it.

Conditions and benefits are kept as JSONB documents validated by the services: they are read whole, by
the evaluator, and a policy has only a handful of each.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base
from community.kernel.models import enum_column


class PolicyStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Stage(enum.StrEnum):
    """How far along an organization is, in the plain words founders use."""

    PREPARING = "preparing"  # 筹备
    STARTUP = "startup"  # 初创
    GROWTH = "growth"  # 成长
    MATURE = "mature"  # 成熟


class Policy(Base):
    __tablename__ = "policy"
    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("(status = 'draft') OR published_at IS NOT NULL", name="published_has_date"),
        sa.Index("ix_policy_status_published", "status", "published_at"),
        sa.Index("ix_policy_benefit_kinds", "benefit_kinds", postgresql_using="gin"),
    )

    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # 措施一, 措施四...: where in the source text the measure comes from.
    source_measure: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    issuing_unit: Mapped[str] = mapped_column(sa.String(200))  # 责任单位
    how_to_apply: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    apply_url: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    deadline: Mapped[date | None] = mapped_column(sa.Date, default=None)
    # 免申即享: granted without an application when the data proves eligibility.
    auto_granted: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
    status: Mapped[PolicyStatus] = mapped_column(
        enum_column(PolicyStatus, "policy_status"), default=PolicyStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Raised when a published policy's conditions or benefits change: each version is pushed once.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    # [{kind, description, amount, cap_yuan, months}]
    benefits: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    # {org_types, age_min_months, age_max_months, domains, districts, stages, team_min, team_max,
    #  verified_capability, approved_product, activities}; an absent key is no condition.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    # The benefits' kinds again, so that the list filters with one GIN index.
    benefit_kinds: Mapped[list[str]] = mapped_column(ARRAY(sa.String(20)), default=list, server_default="{}")
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class OrganizationFacts(Base):
    """政策画像: what the policies ask about an organization that the rest of the site does not know.
    Domains, district and team size default from the organization and its capability profile."""

    __tablename__ = "policy_org_facts"
    __table_args__ = (sa.CheckConstraint("team_size IS NULL OR team_size >= 1", name="team_size_positive"),)

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    founded_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, "policy_stage"), default=None)
    team_size: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    activities: Mapped[list[str]] = mapped_column(ARRAY(sa.String(40)), default=list, server_default="{}")
    updated_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class PolicyDelivery(Base):
    """An organization was told that it qualifies for one version of a policy; ``opened_at`` is when one of
    its members first opened the policy afterwards. The unique key makes each version told once."""

    __tablename__ = "policy_delivery"
    __table_args__ = (
        sa.UniqueConstraint("policy_id", "organization_id", "version", name="uq_policy_delivery_version"),
        sa.Index("ix_policy_delivery_org_told", "organization_id", "told_at"),
    )

    policy_id: Mapped[UUID] = mapped_column(sa.ForeignKey("policy.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(sa.Integer)
    told_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=sa.text("now()"))
    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
