"""What matching keeps: embeddings of scenarios and profiles (and the version of each kind's index),
feedback of OPCs, pushes and their weekly quota, each member's email rhythm, and each OPC's exclusions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base, metadata

OWNER_SCENARIO = "scenario"
OWNER_PROFILE = "profile"
# The talent zone's positions and talent profiles (community/matching/talent.py).
OWNER_POSITION = "position"
OWNER_TALENT = "talent"
RHYTHMS = ("immediate", "daily", "weekly", "off")
VERDICTS = ("interested", "not_interested")


class Embedding(Base):
    """One vector per thing and model; ``text_hash`` says which text it was made from."""

    __tablename__ = "match_embedding"
    __table_args__ = (
        sa.UniqueConstraint("owner_type", "owner_id", "model", name="uq_match_embedding_owner_model"),
        sa.CheckConstraint(
            "owner_type IN ('scenario', 'profile', 'position', 'talent')", name="owner_type_known"
        ),
        sa.CheckConstraint("octet_length(vector) = 2 * dim", name="vector_has_dim"),
    )

    owner_type: Mapped[str] = mapped_column(sa.String(20))
    owner_id: Mapped[UUID] = mapped_column()
    model: Mapped[str] = mapped_column(sa.String(300))
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    dim: Mapped[int] = mapped_column(sa.SmallInteger)
    # float16, little-endian (``pack``/``unpack``): half of float4[], and read without a Python float each.
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)


# One row per kind of index (scenario, profile, position, talent): a number from a sequence, set again by a
# trigger on every statement that writes what that index holds (migration 1020), NOTIFYed on
# ``community_matching``. The number never repeats; it is visible with the write, at commit.
index_version = sa.Table(
    "match_index_version",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
INDEX_CHANNEL = "community_matching"


class Feedback(Base):
    """An OPC said it is interested in a scenario, or not; "not interested" lowers similar ones for it."""

    __tablename__ = "match_feedback"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "scenario_id", name="uq_match_feedback_org_scenario"),
        sa.CheckConstraint("verdict IN ('interested', 'not_interested')", name="verdict_known"),
    )

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(sa.String(20))


class Push(Base):
    """A scenario pushed to an OPC, with the score and the explanation it was pushed with."""

    __tablename__ = "match_push"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "organization_id", name="uq_match_push_scenario_org"),
        sa.Index("ix_match_push_org_created", "organization_id", "created_at"),
    )

    scenario_id: Mapped[UUID] = mapped_column(sa.ForeignKey("scenario.id", ondelete="CASCADE"))
    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(sa.Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    week_start: Mapped[date] = mapped_column(sa.Date)


class PushQuota(Base):
    """Pushes an OPC got in one week (Monday, Asia/Shanghai). The cap is copied into the row when the week
    starts and checked by the database: ``used`` can never pass ``cap``."""

    __tablename__ = "match_push_quota"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "week_start", name="uq_match_push_quota_org_week"),
        sa.CheckConstraint("used >= 0 AND used <= cap", name="used_within_cap"),
    )

    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(sa.Date)
    cap: Mapped[int] = mapped_column(sa.Integer)
    used: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class Subscription(Base):
    """A member's email rhythm for recommendations; ``unsubscribed_at`` set by the one-click link."""

    __tablename__ = "match_subscription"
    __table_args__ = (
        sa.CheckConstraint("rhythm IN ('immediate', 'daily', 'weekly', 'off')", name="rhythm_known"),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    rhythm: Mapped[str] = mapped_column(sa.String(20))
    # Pushes made after this were not mailed yet (the next mail or digest takes them).
    last_emailed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Whether unanswered forum questions that fit this member may be offered to them (the forum's routing).
    questions: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())


class Preference(Base):
    """An OPC's own exclusions: domains it never wants pushed, or no pushes at all for now."""

    __tablename__ = "match_preference"

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    excluded_domains: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(20)), default=list, server_default="{}"
    )
    paused: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))
