"""In-site notifications (the header's unread count, /notifications) and email. Knows no zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.notifications.controllers import (
        NotificationApiController,
        NotificationController,
        NotificationUnsubscribeController,
    )
    from community.notifications.mail import mail_job
    from community.notifications.services import JOB_MAIL
    from community.zones import Zone

    return Zone(
        name="notifications",
        routes=[NotificationController, NotificationUnsubscribeController, NotificationApiController],
        jobs={JOB_MAIL: mail_job},
    )
