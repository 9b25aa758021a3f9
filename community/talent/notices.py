"""What the talent zone tells people, worded when read; every one is also mailed at the member's rhythm
(their choice on /notifications: at once, a daily or weekly digest, or no email)."""

from __future__ import annotations

from community.i18n import N_
from community.notifications.notices import Notice

# The position's organization ({name}: the applicant; {title}; {date}: ISO; {reason}).
APPLICATION = Notice(
    "talent.application", N_("%(name)s applied for “%(title)s”. Please answer by %(date)s."), mailed=True
)
APPLICATION_WITHDRAWN = Notice(
    "talent.application_withdrawn", N_("%(name)s withdrew the application for “%(title)s”."), mailed=True
)
APPLICATION_REMINDER = Notice(
    "talent.application_reminder", N_("Please answer %(name)s about “%(title)s” by %(date)s."), mailed=True
)
POSITION_TAKEN_DOWN = Notice(
    "talent.position_taken_down", N_("An admin took down “%(title)s”: %(reason)s"), mailed=True
)
# The applicant ({org}, {title}, {reason}).
SHORTLISTED = Notice(
    "talent.application_shortlisted", N_("%(org)s shortlisted you for “%(title)s”."), mailed=True
)
INTERVIEW = Notice(
    "talent.application_interview", N_("%(org)s invites you to an interview for “%(title)s”."), mailed=True
)
OFFER = Notice(
    "talent.application_offer", N_("%(org)s offers you “%(title)s”. Congratulations!"), mailed=True
)
CLOSED = Notice("talent.application_closed", N_("“%(title)s” was closed: %(reason)s"), mailed=True)
DECLINED = Notice(
    "talent.application_declined",
    N_("%(org)s declined your application for “%(title)s”: %(reason)s"),
    mailed=True,
)

NOTICES = (
    APPLICATION,
    APPLICATION_WITHDRAWN,
    APPLICATION_REMINDER,
    POSITION_TAKEN_DOWN,
    SHORTLISTED,
    INTERVIEW,
    OFFER,
    CLOSED,
    DECLINED,
)
