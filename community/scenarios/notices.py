"""What the scenarios zone tells people (scenarios, interest, capability profiles), worded when read."""

from __future__ import annotations

from community.i18n import N_
from community.notifications.notices import Notice

# The owner's organization, about its scenario ({title}, {reason}).
PUBLISHED = Notice("scenario.published", N_("Your scenario “%(title)s” is published."))
RETURNED = Notice("scenario.returned", N_("Your scenario “%(title)s” was returned: %(reason)s"))
REVISION_APPROVED = Notice(
    "scenario.revision_approved", N_("Your changes to “%(title)s” are approved and published.")
)
REVISION_REJECTED = Notice(
    "scenario.revision_rejected", N_("Your changes to “%(title)s” were not published: %(reason)s")
)
# A reader whose access to the details changed ({title}).
READER_WITHDRAWN = Notice(
    "scenario.reader_withdrawn", N_("The owner of “%(title)s” withdrew your access to its details.")
)
READER_REGRANTED = Notice(
    "scenario.reader_regranted", N_("The owner of “%(title)s” lets you read its details again.")
)
# The owner, about interest in its scenario ({org}, {title}, {date}: ISO).
INTEREST = Notice("scenario.interest", N_("%(org)s is interested in “%(title)s”. Please answer by %(date)s."))
INTEREST_WITHDRAWN = Notice(
    "scenario.interest_withdrawn", N_("%(org)s withdrew its interest in “%(title)s”.")
)
INTEREST_REMINDER = Notice(
    "scenario.interest_reminder", N_("Please answer %(org)s about “%(title)s” by %(date)s.")
)
INTEREST_OVERDUE = Notice(
    "scenario.interest_overdue",
    N_("The answer to %(org)s about “%(title)s” was due on %(date)s. Please answer now."),
)
# The interested OPC, about its interest ({title}, {reason}).
INTEREST_SHORTLISTED = Notice("interest.shortlisted", N_("You are shortlisted for “%(title)s”."))
INTEREST_DECLINED = Notice("interest.declined", N_("Your interest in “%(title)s” was declined: %(reason)s"))
INTEREST_LANDED = Notice("interest.landed", N_("“%(title)s” has landed with you. Congratulations!"))
INTEREST_LANDED_ELSEWHERE = Notice(
    "interest.landed_elsewhere", N_("“%(title)s”: the scenario has landed with another team.")
)
INTEREST_CLOSED = Notice("interest.closed", N_("“%(title)s”: the scenario was closed. %(reason)s"))
# The OPC, about its capability profile ({reason}).
CAPABILITY_VERIFIED = Notice(
    "capability.verified",
    N_("Your capability profile is verified and appears in the technical capability list."),
)
CAPABILITY_REJECTED = Notice(
    "capability.rejected", N_("Your capability profile was not verified: %(reason)s")
)

NOTICES = (
    PUBLISHED,
    RETURNED,
    REVISION_APPROVED,
    REVISION_REJECTED,
    READER_WITHDRAWN,
    READER_REGRANTED,
    INTEREST,
    INTEREST_WITHDRAWN,
    INTEREST_REMINDER,
    INTEREST_OVERDUE,
    INTEREST_SHORTLISTED,
    INTEREST_DECLINED,
    INTEREST_LANDED,
    INTEREST_LANDED_ELSEWHERE,
    INTEREST_CLOSED,
    CAPABILITY_VERIFIED,
    CAPABILITY_REJECTED,
)
