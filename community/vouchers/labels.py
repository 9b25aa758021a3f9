"""The words people read for the voucher zone's codes, in the reader's language."""

from __future__ import annotations

import enum

from community.i18n import N_, gettext
from community.vouchers.models import (
    CampaignStatus,
    ProductStatus,
    SettlementStatus,
    VerificationStatus,
    VoucherStatus,
)

_LABELS: dict[enum.Enum, str] = {
    ProductStatus.DRAFT: N_("Draft"),
    ProductStatus.SUBMITTED: N_("Awaiting review"),
    ProductStatus.RETURNED: N_("Returned for changes"),
    ProductStatus.PUBLISHED: N_("Published"),
    ProductStatus.WITHDRAWN: N_("Withdrawn"),
    VerificationStatus.CODE_SENT: N_("Code sent"),
    VerificationStatus.PENDING_REVIEW: N_("Proof awaiting review"),
    VerificationStatus.VERIFIED: N_("Verified"),
    VerificationStatus.REJECTED: N_("Not accepted"),
    CampaignStatus.ACTIVE: N_("Active"),
    CampaignStatus.CLOSED: N_("Closed"),
    VoucherStatus.CLAIMED: N_("Claimed"),
    VoucherStatus.REDEEMED: N_("Redeemed"),
    VoucherStatus.DELIVERED: N_("Delivered, awaiting the student"),
    VoucherStatus.DISPUTED: N_("Disputed"),
    VoucherStatus.CONFIRMED: N_("Confirmed"),
    VoucherStatus.SETTLED: N_("Settled"),
    VoucherStatus.EXPIRED: N_("Expired"),
    VoucherStatus.VOIDED: N_("Voided"),
    SettlementStatus.OPEN: N_("Awaiting payment"),
    SettlementStatus.PAID: N_("Paid"),
}
_STATUS_BY_VALUE = {member.value: member for member in VoucherStatus}


def label(value: enum.Enum | str | None) -> str:
    """The reader's word for a code; an unknown code shows as itself rather than failing the page."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        member = _STATUS_BY_VALUE.get(value)
        if member is None:
            return value
        value = member
    text = _LABELS.get(value)
    return gettext(text) if text else str(value.value)
