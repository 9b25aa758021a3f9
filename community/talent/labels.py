"""The words people read for the talent zone's codes, in the reader's language."""

from __future__ import annotations

import enum

from community.i18n import N_, gettext
from community.kernel.labels import Labels
from community.kernel.money import format_yuan_range, per_month
from community.talent.models import ApplicationStatus, EmploymentType, PositionStatus
from community.vocabulary import district_label

label = Labels(
    {
        EmploymentType.FULL_TIME: N_("Full time"),
        EmploymentType.PART_TIME: N_("Part time"),
        EmploymentType.INTERNSHIP: N_("Internship"),
        EmploymentType.PROJECT: N_("Project collaboration"),
        PositionStatus.DRAFT: N_("Draft"),
        PositionStatus.OPEN: N_("Open for applications"),
        PositionStatus.CLOSED: N_("Closed"),
        PositionStatus.TAKEN_DOWN: N_("Taken down"),
        ApplicationStatus.PENDING: N_("Awaiting an answer"),
        ApplicationStatus.SHORTLISTED: N_("Shortlisted"),
        ApplicationStatus.INTERVIEW: N_("Invited to interview"),
        ApplicationStatus.OFFER: N_("Offer made"),
        ApplicationStatus.DECLINED: N_("Declined"),
        ApplicationStatus.WITHDRAWN: N_("Withdrawn"),
        ApplicationStatus.CLOSED: N_("Position closed"),
    }
)


code_label = label.of_code


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return label.choices(enum_cls)


def format_pay(pay_min: int | None, pay_max: int | None, negotiable: bool) -> str:
    """面议 / 8,000–12,000元/月 / ¥8,000–¥12,000 a month."""
    if negotiable or pay_min is None:
        return gettext(N_("Pay negotiable"))
    return per_month(format_yuan_range(pay_min, pay_max))


def format_place(district: str, remote: bool) -> str:
    if remote and district:
        return gettext(N_("%(district)s or remote")) % {"district": district_label(district)}
    if remote:
        return gettext(N_("Remote"))
    return district_label(district) or gettext(N_("Place not given"))


def board_title(number: int) -> str:
    """第3期招贤榜 / "Talent board, issue 3"."""
    return gettext(N_("Talent board, issue %(number)s")) % {"number": number}
