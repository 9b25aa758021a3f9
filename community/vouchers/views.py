"""What the voucher zone's pages show, as the services return it: money and codes as people read them, a
voucher with its campaign, product and rating, a student's standing, what a viewer may do with a product,
settlement lines, funders' reports and flagged patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from community.i18n import N_
from community.kernel.clock import now
from community.vouchers.models import VerificationStatus

if TYPE_CHECKING:
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
    if fen is None:
        return ""
    yuan, cents = divmod(int(fen), 100)
    return f"¥{yuan:,}" if cents == 0 else f"¥{yuan:,}.{cents:02d}"


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


@dataclass(frozen=True)
class SettlementLine:
    campaign_id: UUID
    campaign_name: str
    funder: str
    organization_id: UUID
    organization_name: str
    redeemed: int
    confirmed: int  # confirmed and not settled yet: the amount due
    settled: int
    due_fen: int
    settled_fen: int


@dataclass(frozen=True)
class FunderReport:
    campaign: Campaign
    claimed: int
    redeemed: int
    confirmed: int
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
