"""What the vouchers zone tells people (students, OPCs, admins), worded when read."""

from __future__ import annotations

from community.i18n import N_
from community.notifications.notices import Notice

# The OPC's members ({product}, {name}: the product's name; {reason}).
REDEEMED = Notice(
    "voucher_redeemed",
    N_(
        "A student redeemed a voucher for %(product)s. Confirm the trial with the student's code once it is "
        "delivered."
    ),
)
PRODUCT_PUBLISHED = Notice("product_review.published", N_("Your product %(name)s is published."))
PRODUCT_RETURNED = Notice("product_review.returned", N_("Your product %(name)s was returned: %(reason)s"))
REVISION_PUBLISHED = Notice(
    "product_review.revision_published", N_("The changes to your product %(name)s are published.")
)
REVISION_RETURNED = Notice(
    "product_review.revision_returned", N_("The changes to your product %(name)s were returned: %(reason)s")
)
SETTLEMENT_PAID = Notice("settlement_paid", N_("A voucher settlement for your organization was paid."))
DISPUTE_UPHELD = Notice(
    "voucher_dispute_upheld", N_("An admin upheld a disputed trial of %(product)s; it can be settled.")
)
DISPUTE_VOIDED = Notice(
    "voucher_dispute_voided", N_("An admin voided a disputed trial of %(product)s: %(reason)s")
)
# Admins.
DISPUTED = Notice(
    "voucher_disputed",
    N_("A student disputes that a trial of %(product)s took place. Decide it in the disputes queue."),
)
# The student.
DISPUTE_DECIDED = Notice(
    "voucher_dispute_decided", N_("An admin decided that your trial took place: %(reason)s")
)
DELIVERED = Notice(
    "voucher_delivered",
    N_(
        "%(product)s says your trial was delivered. Confirm that it took place, or dispute it, on your "
        "vouchers page."
    ),
)
VOIDED = Notice("voucher_voided", N_("A voucher of yours was voided: %(reason)s"))
SUSPENDED = Notice(
    "voucher_suspended", N_("Your account is suspended from the voucher programme: %(reason)s")
)
UNSUSPENDED = Notice("voucher_unsuspended", N_("Your suspension from the voucher programme was lifted."))
STUDENT_VERIFIED = Notice("student_verified", N_("You are verified as a student."))
STUDENT_REJECTED = Notice("student_rejected", N_("Your student proof was not accepted: %(reason)s"))

NOTICES = (
    REDEEMED,
    PRODUCT_PUBLISHED,
    PRODUCT_RETURNED,
    REVISION_PUBLISHED,
    REVISION_RETURNED,
    SETTLEMENT_PAID,
    DISPUTE_UPHELD,
    DISPUTE_VOIDED,
    DISPUTED,
    DISPUTE_DECIDED,
    DELIVERED,
    VOIDED,
    SUSPENDED,
    UNSUSPENDED,
    STUDENT_VERIFIED,
    STUDENT_REJECTED,
)
