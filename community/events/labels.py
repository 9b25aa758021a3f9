"""The words people read for the event zone's codes, in the reader's language."""

from __future__ import annotations

from community.events.models import Audience, EventKind, EventStatus, RegistrationStatus
from community.i18n import N_
from community.kernel.labels import Labels

label = Labels(
    {
        EventKind.COURSE: N_("Course"),
        EventKind.TRAINING: N_("Specialised training"),
        EventKind.ROADSHOW: N_("Roadshow"),
        EventKind.INVESTMENT: N_("Investment matchmaking"),
        EventKind.SALON: N_("Salon or other"),
        EventStatus.DRAFT: N_("Draft"),
        EventStatus.PUBLISHED: N_("Published"),
        EventStatus.CANCELLED: N_("Cancelled"),
        Audience.EVERYONE: N_("Everyone"),
        Audience.ORG_TYPES: N_("Members of certain organization types"),
        Audience.STUDENTS: N_("Verified students"),
        RegistrationStatus.REGISTERED: N_("Registered"),
        RegistrationStatus.WAITING: N_("On the waiting list"),
        RegistrationStatus.CANCELLED: N_("Cancelled"),
    }
)


def kind_choices() -> list[tuple[str, str]]:
    return label.choices(EventKind)


def audience_choices() -> list[tuple[str, str]]:
    return label.choices(Audience)
