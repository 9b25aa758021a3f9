"""What the voucher zone's pages show, as the services return it: money and codes as people read them, a
voucher with its campaign, product and rating, a student's standing, what a viewer may do with a product,
settlement lines, funders' reports and flagged patterns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from community.i18n import N_, _
from community.kernel.clock import now
from community.kernel.money import format_fen
from community.vouchers.models import VerificationStatus, VoucherStatus
from community.web.charts import Chart, Reference, Series, day_label

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
class Week:
    """One week of a campaign (Monday to Sunday, Wuhan's): vouchers claimed, redeemed (those the totals
    count as redeemed) and confirmed by both sides in it."""

    monday: date
    claims: int = 0
    redemptions: int = 0
    confirmations: int = 0


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
    weeks: tuple[Week, ...] = ()  # from the campaign's first week to its last, or this one if it is earlier

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


def funder_charts(report: FunderReport) -> dict[str, Chart]:
    """The funder's report drawn: claims, redemptions and confirmations per week; the same added up against
    the number of vouchers the budget pays for; and where the budget stands."""
    weeks = [day_label(w.monday) for w in report.weeks]
    series = [
        Series("claims", _("Claims")),
        Series("redemptions", _("Redemptions")),
        Series("confirmations", _("Confirmed by both sides")),
    ]
    per_week = Chart(
        id="chart-weeks",
        title=_("Per week"),
        description=_(
            "Vouchers claimed, redeemed and confirmed by both sides in each week of the campaign; the "
            "figures are in the table that follows."
        ),
        kind="line",
        series=series,
        categories=weeks,
        values=[(w.claims, w.redemptions, w.confirmations) for w in report.weeks],
    )
    totals: list[tuple[int, int, int]] = []
    claims = redemptions = confirmations = 0
    for w in report.weeks:
        claims, redemptions, confirmations = (
            claims + w.claims,
            redemptions + w.redemptions,
            confirmations + w.confirmations,
        )
        totals.append((claims, redemptions, confirmations))
    campaign = report.campaign
    funded = campaign.budget_fen // campaign.face_value_fen
    against_budget = Chart(
        id="chart-budget-weeks",
        title=_("Added up, against the budget"),
        description=_(
            "Vouchers claimed, redeemed and confirmed by both sides since the campaign began, week by week, "
            "against the %(n)s vouchers the budget pays for; the figures are in the table that follows.",
            n=funded,
        ),
        kind="line",
        series=series,
        categories=weeks,
        values=totals,
        reference=Reference(_("Budget: %(n)s vouchers", n=funded), funded),
    )
    held = max(campaign.reserved_fen - report.spent_fen, 0)
    budget = Chart(
        id="chart-budget",
        title=_("The budget"),
        description=_(
            "The budget of %(budget)s: used by trials confirmed by both sides, held by live vouchers, and "
            "still available.",
            budget=format_yuan(campaign.budget_fen),
        ),
        kind="bars",
        series=[
            Series("used", _("Used")),
            Series("held", _("Held, not used yet")),
            Series("available", _("Still available")),
        ],
        categories=[_("Budget")],
        values=[(report.spent_fen, held, report.remaining_fen)],
        formatter=format_yuan,
    )
    return {"weeks": per_week, "against_budget": against_budget, "budget": budget}
