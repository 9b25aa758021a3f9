"""What the voucher zone's pages show, as the services return it: money and codes as people read them, a
voucher with its campaign, product and rating, a student's standing, what a viewer may do with a product,
settlement lines, funders' reports and flagged patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from community.i18n import N_
from community.kernel.clock import now
from community.kernel.money import format_fen
from community.vouchers.models import VerificationStatus, VoucherStatus

if TYPE_CHECKING:
    from community.vouchers.inputs import ProductInput
    from community.vouchers.models import (
        Campaign,
        Product,
        Rating,
        StudentVerification,
        Suspension,
        University,
        Voucher,
    )

# Redemption codes are ten characters, shown as two groups of five.
CODE_LENGTH = 10
# A verification may be renewed this long before it lapses.
RENEW_WITHIN = timedelta(days=30)


def format_yuan(fen: int | None) -> str:
    """A voucher amount (kept in fen) as the reader reads money: 50元 / ¥50."""
    return format_fen(fen)


def format_code(code: str | None) -> str:
    return f"{code[:5]}-{code[5:]}" if code and len(code) == CODE_LENGTH else (code or "")


def average(product: Product) -> float | None:
    return round(product.rating_sum / product.rating_count, 1) if product.rating_count else None


@dataclass(frozen=True)
class VoucherView:
    voucher: Voucher
    campaign: Campaign
    product: Product | None
    rating: Rating | None


@dataclass(frozen=True)
class Redemption:
    """A redeemed voucher as its OPC sees it. The code is the student's proof that the trial started, so it
    is here only once the OPC itself typed it in (``confirmed_at``); before that the OPC sees that a trial
    is owed, never its code."""

    voucher_id: UUID
    product_id: UUID
    product_name: str
    status: VoucherStatus
    redeemed_at: datetime | None
    confirmed_at: datetime | None
    student_confirmed_at: datetime | None
    code: str | None

    @classmethod
    def of(cls, voucher: Voucher, product: Product) -> Redemption:
        return cls(
            voucher.id,
            product.id,
            product.name,
            voucher.status,
            voucher.redeemed_at,
            voucher.confirmed_at,
            voucher.student_confirmed_at,
            format_code(voucher.redemption_code) if voucher.confirmed_at is not None else None,
        )


@dataclass(frozen=True)
class Dispute:
    """A trial the student says did not take place, as admins read it."""

    voucher: Voucher
    student_name: str
    product_name: str
    organization_name: str


@dataclass(frozen=True)
class StudentStatus:
    verification: StudentVerification | None
    university: University | None
    suspension: Suspension | None

    def _verified_until_passed(self, passed: bool) -> bool:
        v = self.verification
        return (
            v is not None
            and v.status is VerificationStatus.VERIFIED
            and v.valid_until is not None
            and (v.valid_until <= now()) is passed
        )

    @property
    def verified(self) -> bool:
        return self._verified_until_passed(False)

    @property
    def expired(self) -> bool:
        return self._verified_until_passed(True)

    @property
    def may_renew(self) -> bool:
        v = self.verification
        return self.expired or (
            self.verified
            and v is not None
            and v.valid_until is not None
            and v.valid_until - now() < RENEW_WITHIN
        )


@dataclass(frozen=True)
class ProductAccess:
    is_member: bool
    is_admin: bool

    @property
    def can_edit(self) -> bool:
        return self.is_member or self.is_admin


# The product form's fields, as an admin reads a revision.
PRODUCT_FIELDS = {
    "name": N_("Name"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "domains": N_("Domains"),
    "screenshots": N_("Screenshots"),
    "website": N_("Website"),
    "how_to_try": N_("How to try it"),
    "voucher_benefit": N_("What a voucher gives"),
}


@dataclass(frozen=True)
class Revision:
    """A published product's changes waiting for an admin: each changed field, as published and as
    proposed; ``version`` names the revision read, so that a newer one is not approved unread."""

    product: Product
    organization_name: str
    changes: list[tuple[str, str, str]]
    version: str

    @classmethod
    def of(
        cls, product: Product, organization_name: str, before: ProductInput, after: ProductInput
    ) -> Revision:
        def shown(value: object) -> str:
            return "\n".join(value) if isinstance(value, list) else str(value)

        changes = [
            (name, shown(getattr(before, name)), shown(getattr(after, name)))
            for name in PRODUCT_FIELDS
            if getattr(before, name) != getattr(after, name)
        ]
        submitted = product.revision_submitted_at
        return cls(product, organization_name, changes, submitted.isoformat() if submitted else "")


@dataclass(frozen=True)
class SettlementLine:
    campaign_id: UUID
    campaign_name: str
    funder: str
    organization_id: UUID
    organization_name: str
    redeemed: int  # ever redeemed: the trials owed, delivered, disputed, confirmed and settled
    awaiting_student: int  # delivered by the OPC's word, not yet confirmed by the student
    disputed: int  # the student says the trial did not take place: for admins, never settled as such
    confirmed: int  # confirmed by both sides and not settled yet: the amount due
    settled: int
    due_fen: int
    settled_fen: int


@dataclass(frozen=True)
class FunderReport:
    campaign: Campaign
    claimed: int
    redeemed: int
    confirmed: int  # confirmed by both sides (or upheld by an admin), settled or not
    awaiting_student: int  # the OPC confirmed delivery; the student has not confirmed yet
    disputed: int  # the student disputes the trial; an admin decides
    settled: int
    expired: int
    voided: int
    ratings: int
    average_rating: float | None
    spent_fen: int  # confirmed or settled × face value
    paid_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.campaign.budget_fen - self.campaign.reserved_fen


FLAG_KINDS = {
    "address": N_("One network address"),
    "burst": N_("Burst of redemptions"),
    "confirmations": N_("Confirmations without use"),
}


@dataclass(frozen=True)
class Flag:
    kind: str
    subject: str
    count: int
    detail: str
    url: str
