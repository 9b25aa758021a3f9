"""The words people read for the talent zone's codes, in the reader's language."""

from __future__ import annotations

import enum

from community.i18n import N_, current_locale, gettext
from community.kernel.labels import Labels
from community.talent.models import ApplicationStatus, EmploymentType, PositionStatus

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


def _amount(value: int) -> str:
    if current_locale() == "zh_CN" and value >= 10_000 and value % 1000 == 0:
        wan = value / 10_000
        return (f"{wan:.1f}".rstrip("0").rstrip(".") if wan % 1 else f"{int(wan)}") + "万"
    return f"{value:,}"


def format_pay(pay_min: int | None, pay_max: int | None, negotiable: bool) -> str:
    """面议 / 8000–12000 元/月 / "8,000–12,000 yuan a month"."""
    if negotiable or pay_min is None:
        return gettext(N_("Pay negotiable"))
    if pay_max is None or pay_max == pay_min:
        return gettext(N_("%(amount)s yuan a month")) % {"amount": _amount(pay_min)}
    return gettext(N_("%(low)s–%(high)s yuan a month")) % {"low": _amount(pay_min), "high": _amount(pay_max)}


def format_place(district: str, remote: bool) -> str:
    if remote and district:
        return gettext(N_("%(district)s or remote")) % {"district": district}
    if remote:
        return gettext(N_("Remote"))
    return district or gettext(N_("Place not given"))


def board_title(number: int) -> str:
    """第3期招贤榜 / "Talent board, issue 3"."""
    return gettext(N_("Talent board, issue %(number)s")) % {"number": number}
