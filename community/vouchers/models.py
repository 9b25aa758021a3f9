"""AI products of OPCs, verified students of Wuhan's universities, voucher campaigns, vouchers and their
audit log, ratings, settlements and suspensions.

Money is kept in fen (1/100 yuan) as integers. What must never be overspent is refused by the database
itself: CHECK constraints on the counters, conditional updates that take the row lock, unique indexes.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from community.db import Base
from community.kernel.models import enum_column


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for an admin
    RETURNED = "returned"  # sent back with a reason
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # taken down by its OPC or an admin, with a reason


class VerificationStatus(enum.StrEnum):
    CODE_SENT = "code_sent"  # a code went to the university address
    PENDING_REVIEW = "pending_review"  # proof uploaded, waiting for an admin
    VERIFIED = "verified"
    REJECTED = "rejected"


class VerificationMethod(enum.StrEnum):
    EMAIL = "email"
    PROOF = "proof"


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class VoucherStatus(enum.StrEnum):
    """A voucher's life. Public money moves only on proof from both sides: the OPC types the code the
    student gave it (``delivered``), then the student confirms the trial took place (``confirmed``, the only
    state a settlement takes) or disputes it (``disputed``, for an admin to uphold or void)."""

    CLAIMED = "claimed"
    REDEEMED = "redeemed"  # the student holds the code; the OPC has not confirmed delivery
    DELIVERED = "delivered"  # the OPC confirmed delivery with the student's code; the student has not
    DISPUTED = "disputed"  # the student says the trial did not take place; an admin decides
    CONFIRMED = "confirmed"  # confirmed by both sides (or upheld by an admin): settleable
    SETTLED = "settled"
    EXPIRED = "expired"
    VOIDED = "voided"


# Vouchers that still hold part of the budget.
HOLDING_STATUSES = (
    VoucherStatus.CLAIMED,
    VoucherStatus.REDEEMED,
    VoucherStatus.DELIVERED,
    VoucherStatus.DISPUTED,
    VoucherStatus.CONFIRMED,
    VoucherStatus.SETTLED,
)
# Vouchers whose delivery the OPC confirmed with the student's code (whatever the student said after).
OPC_CONFIRMED_STATUSES = (
    VoucherStatus.DELIVERED,
    VoucherStatus.DISPUTED,
    VoucherStatus.CONFIRMED,
    VoucherStatus.SETTLED,
)


class University(Base):
    """The maintained list of Wuhan's universities and the email domains of their students."""

    __tablename__ = "university"

    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(150), default="", server_default="")
    email_domains: Mapped[list[str]] = mapped_column(ARRAY(sa.String(100)), default=list, server_default="{}")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.text("true"))


class StudentVerification(Base):
    """One account's claim to study at a university. One row per account; renewing reuses it."""

    __tablename__ = "student_verification"
    __table_args__ = (
        # One university address per account, and one account per university address.
        sa.UniqueConstraint("user_id", name="uq_student_verification_user"),
        sa.Index(
            "uq_student_verification_email",
            sa.text("lower(email)"),
            unique=True,
            postgresql_where=sa.text("email IS NOT NULL AND status = 'verified'"),
        ),
        sa.CheckConstraint("code_attempts >= 0", name="code_attempts_not_negative"),
        sa.CheckConstraint(
            "codes_sent_today >= 0 AND code_attempts_today >= 0", name="daily_code_counts_not_negative"
        ),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    university_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("university.id", ondelete="RESTRICT"), index=True
    )
    method: Mapped[VerificationMethod] = mapped_column(enum_column(VerificationMethod, "verification_method"))
    status: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "verification_status"), index=True
    )
    email: Mapped[str | None] = mapped_column(sa.String(254), default=None)
    # Where the last code went: it becomes ``email`` once the code is confirmed (a renewal may change it).
    pending_email: Mapped[str | None] = mapped_column(sa.String(254), default=None)
    code_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    code_attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Codes asked for and codes tried on ``code_day`` (Wuhan's date), across every code of that day: a new
    # code resets ``code_attempts`` but not these, so guesses stay few per account per day.
    code_day: Mapped[date | None] = mapped_column(sa.Date, default=None)
    codes_sent_today: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    code_attempts_today: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    proof_path: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    proof_filename: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    proof_content_type: Mapped[str | None] = mapped_column(sa.String(50), default=None)
    proof_size: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    student_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    valid_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reviewed_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        sa.Index("ix_product_status_rank", "status", "rating_count"),
        sa.CheckConstraint("rating_count >= 0 AND rating_sum >= 0", name="ratings_not_negative"),
        sa.CheckConstraint("rating_sum <= rating_count * 5", name="ratings_at_most_five"),
        sa.CheckConstraint(
            "revision_submitted_at IS NULL OR revision IS NOT NULL", name="submitted_revision_has_content"
        ),
    )

    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    domains: Mapped[list[str]] = mapped_column(ARRAY(sa.String(20)), default=list, server_default="{}")
    screenshots: Mapped[list[str]] = mapped_column(ARRAY(sa.String(500)), default=list, server_default="{}")
    website: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    how_to_try: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    voucher_benefit: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    status: Mapped[ProductStatus] = mapped_column(enum_column(ProductStatus, "product_status"))
    review_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    # Verified ratings only (a rating needs a confirmed voucher); kept here for ranking the gallery.
    rating_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # A published product's changes wait here for an admin while readers keep seeing the approved text in
    # the columns above: the fields of the product's form, submitted at ``revision_submitted_at`` (none
    # while returned with ``revision_note``, kept so that the OPC loses nothing).
    revision: Mapped[dict[str, Any] | None] = mapped_column(JSONB, default=None)
    revision_submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revision_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class Campaign(Base):
    __tablename__ = "voucher_campaign"
    __table_args__ = (
        sa.CheckConstraint("budget_fen > 0", name="budget_positive"),
        sa.CheckConstraint("face_value_fen > 0 AND face_value_fen <= budget_fen", name="face_value_fits"),
        # The database itself refuses to spend beyond the budget.
        sa.CheckConstraint("reserved_fen >= 0 AND reserved_fen <= budget_fen", name="budget_not_overspent"),
        sa.CheckConstraint("issued_count >= 0", name="issued_not_negative"),
        sa.CheckConstraint("per_student_cap >= 1 AND per_product_cap >= 1", name="caps_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    name: Mapped[str] = mapped_column(sa.String(120))
    funder: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    budget_fen: Mapped[int] = mapped_column(sa.BigInteger)
    face_value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reserved_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    issued_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    per_student_cap: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    per_product_cap: Mapped[int] = mapped_column(sa.Integer)
    eligible_domains: Mapped[list[str]] = mapped_column(
        ARRAY(sa.String(20)), default=list, server_default="{}"
    )
    # Eligible when the product is listed here or shares a domain; both empty: every published product.
    eligible_product_ids: Mapped[list[UUID]] = mapped_column(
        ARRAY(sa.Uuid(as_uuid=True)), default=list, server_default="{}"
    )
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.ACTIVE
    )
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class _CampaignCounter:
    """A count of a campaign's vouchers against its cap; each table's CHECK keeps ``used <= cap``, so two
    claims or redemptions racing past the cap cannot both be written."""

    campaign_id: Mapped[UUID] = mapped_column(sa.ForeignKey("voucher_campaign.id", ondelete="CASCADE"))
    used: Mapped[int] = mapped_column(sa.Integer, default=0)
    cap: Mapped[int] = mapped_column(sa.Integer)


class StudentQuota(_CampaignCounter, Base):
    """How many vouchers a student holds from a campaign; the CHECK keeps the per-student cap."""

    __tablename__ = "voucher_student_quota"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "student_id", name="uq_voucher_student_quota"),
        sa.CheckConstraint("used >= 0 AND used <= cap", name="student_cap_held"),
    )

    student_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)


class ProductQuota(_CampaignCounter, Base):
    """How many vouchers of a campaign went to a product; the CHECK keeps the per-product cap."""

    __tablename__ = "voucher_product_quota"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "product_id", name="uq_voucher_product_quota"),
        sa.CheckConstraint("used >= 0 AND used <= cap", name="product_cap_held"),
    )

    product_id: Mapped[UUID] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)


class Voucher(Base):
    __tablename__ = "voucher"
    __table_args__ = (
        # One voucher per student per product (a voided one does not count).
        sa.Index(
            "uq_voucher_student_product",
            "student_id",
            "product_id",
            unique=True,
            postgresql_where=sa.text("product_id IS NOT NULL AND status <> 'voided'"),
        ),
        sa.Index("ix_voucher_campaign_status", "campaign_id", "status"),
        sa.Index("ix_voucher_product_status", "product_id", "status"),
        sa.Index("ix_voucher_student", "student_id", "created_at"),
        sa.Index("ix_voucher_redeemed_at", "redeemed_at"),
        sa.CheckConstraint("face_value_fen > 0", name="face_value_positive"),
        sa.CheckConstraint(
            "(status = 'claimed') OR (status IN ('expired', 'voided')) OR "
            "(product_id IS NOT NULL AND redemption_code IS NOT NULL)",
            name="redeemed_has_product_and_code",
        ),
        # Past "redeemed", a voucher went on only because its OPC typed the student's code.
        sa.CheckConstraint(
            "status NOT IN ('delivered', 'disputed', 'confirmed', 'settled') OR confirmed_at IS NOT NULL",
            name="delivery_confirmed_by_opc",
        ),
        sa.CheckConstraint("status <> 'disputed' OR dispute_reason <> ''", name="dispute_has_reason"),
        sa.Index("ix_voucher_disputed", "disputed_at", postgresql_where=sa.text("status = 'disputed'")),
    )

    campaign_id: Mapped[UUID] = mapped_column(sa.ForeignKey("voucher_campaign.id", ondelete="RESTRICT"))
    student_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[VoucherStatus] = mapped_column(enum_column(VoucherStatus, "voucher_status"))
    face_value_fen: Mapped[int] = mapped_column(sa.BigInteger)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    product_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("product.id", ondelete="RESTRICT"), default=None
    )
    # The single-use code the student hands to the OPC; unique across all vouchers.
    redemption_code: Mapped[str | None] = mapped_column(sa.String(20), unique=True, default=None)
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    redeemed_ip: Mapped[str | None] = mapped_column(INET, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    confirmed_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    # The student's side: the trial took place, or it did not (with the student's words, for an admin).
    student_confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    disputed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    dispute_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    settlement_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("voucher_settlement.id", ondelete="RESTRICT"), default=None, index=True
    )
    void_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class VoucherEvent(Base):
    """The audit log: every state change of a voucher, with who, when, from where and why."""

    __tablename__ = "voucher_event"
    __table_args__ = (sa.Index("ix_voucher_event_voucher", "voucher_id", "created_at"),)

    voucher_id: Mapped[UUID] = mapped_column(sa.ForeignKey("voucher.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(sa.String(20), default=None)
    to_status: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    ip: Mapped[str | None] = mapped_column(INET, default=None)
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class ConfirmationWindow(Base):
    """An organization's failed attempts at confirming codes in one hour. Each attempt takes a place first
    (``ON CONFLICT DO UPDATE ... WHERE used < cap``) and a confirmed code gives it back, so ``used`` counts
    the failures; the CHECK keeps it within the cap however many processes and tabs try at once."""

    __tablename__ = "voucher_confirm_window"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "window_start", name="uq_voucher_confirm_window"),
        sa.CheckConstraint("used >= 0 AND used <= cap", name="confirm_failures_within_cap"),
    )

    organization_id: Mapped[UUID] = mapped_column(sa.ForeignKey("organization.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used: Mapped[int] = mapped_column(sa.Integer, default=0)
    cap: Mapped[int] = mapped_column(sa.Integer)


class Rating(Base):
    """A verified rating: only a student whose voucher for the product was confirmed gives one."""

    __tablename__ = "product_rating"
    __table_args__ = (
        sa.UniqueConstraint("voucher_id", name="uq_product_rating_voucher"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_one_to_five"),
        sa.Index("ix_product_rating_product", "product_id", "created_at"),
    )

    product_id: Mapped[UUID] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"))
    voucher_id: Mapped[UUID] = mapped_column(sa.ForeignKey("voucher.id", ondelete="CASCADE"))
    student_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column(sa.SmallInteger)
    review: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.text("false"))


class SettlementStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"


class Settlement(Base):
    """A statement for one OPC in one campaign: its confirmed vouchers × face value, then paid."""

    __tablename__ = "voucher_settlement"
    __table_args__ = (
        sa.CheckConstraint("voucher_count > 0 AND amount_fen > 0", name="settlement_not_empty"),
    )

    campaign_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("voucher_campaign.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    voucher_count: Mapped[int] = mapped_column(sa.Integer)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[SettlementStatus] = mapped_column(
        enum_column(SettlementStatus, "settlement_status"), default=SettlementStatus.OPEN
    )
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    paid_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    paid_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    payment_reference: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class Suspension(Base):
    """An account barred from the voucher programme by an admin, with the reason; lifted later or not."""

    __tablename__ = "voucher_suspension"
    __table_args__ = (
        sa.Index(
            "uq_voucher_suspension_open",
            "user_id",
            unique=True,
            postgresql_where=sa.text("lifted_at IS NULL"),
        ),
    )

    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    suspended_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    lifted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
