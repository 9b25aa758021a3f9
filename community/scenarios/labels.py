"""The words people read for the scenario zone's codes, in the reader's language."""

from __future__ import annotations

import enum

from community.i18n import N_, gettext
from community.kernel.labels import Labels
from community.kernel.money import format_yuan_range
from community.scenarios.models import (
    InterestStatus,
    ListKind,
    Maturity,
    ProfileStatus,
    ScenarioKind,
    ScenarioScale,
    ScenarioStatus,
)

label = Labels(
    {
        ScenarioKind.NEED: N_("Real business need"),
        ScenarioKind.BOTTLENECK: N_("Technical bottleneck"),
        ScenarioKind.BENCHMARK: N_("Benchmark case"),
        ScenarioScale.MAJOR: N_("Comprehensive major scenario"),
        ScenarioScale.INTEGRATED: N_("Industry integrated scenario"),
        ScenarioScale.FOCUSED: N_("High-value focused scenario"),
        ScenarioStatus.DRAFT: N_("Draft"),
        ScenarioStatus.SUBMITTED: N_("Awaiting review"),
        ScenarioStatus.RETURNED: N_("Returned for changes"),
        ScenarioStatus.PUBLISHED: N_("Published"),
        ScenarioStatus.DOCKING: N_("Docking"),
        ScenarioStatus.LANDED: N_("Landed"),
        ScenarioStatus.CLOSED: N_("Closed"),
        Maturity.CONCEPT: N_("Proof of concept"),
        Maturity.PILOT: N_("Pilot use"),
        Maturity.PRODUCT: N_("Product"),
        Maturity.SCALED: N_("In use at scale"),
        ProfileStatus.DRAFT: N_("Draft"),
        ProfileStatus.PENDING: N_("Awaiting verification"),
        ProfileStatus.VERIFIED: N_("Verified"),
        ProfileStatus.REJECTED: N_("Not verified"),
        InterestStatus.PENDING: N_("Awaiting an answer"),
        InterestStatus.SHORTLISTED: N_("Shortlisted"),
        InterestStatus.DECLINED: N_("Declined"),
        InterestStatus.WITHDRAWN: N_("Withdrawn"),
        ListKind.SCENARIOS: N_("Scenario opportunity list"),
        ListKind.CAPABILITIES: N_("Technical capability list"),
    }
)


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return label.choices(enum_cls)


def issue_title(kind: ListKind, number: int | None) -> str:
    """第3期场景机会清单 / "Scenario opportunity list, issue 3"."""
    if number is None:
        return gettext(N_("%(list)s (draft)")) % {"list": label(kind)}
    return gettext(N_("%(list)s, issue %(number)s")) % {"list": label(kind), "number": number}


def format_budget(budget_min: int | None, budget_max: int | None, negotiable: bool) -> str:
    """面议 / 20万元 / 10万–50万元; ¥200,000 / ¥100,000–¥500,000 in English."""
    if negotiable:
        return gettext(N_("To be negotiated"))
    if budget_min is None:
        return gettext(N_("Not given"))
    return format_yuan_range(budget_min, budget_max)


_ACTIONS: dict[str, str] = {
    "created": N_("Created as a draft"),
    "submitted": N_("Submitted for review"),
    "returned": N_("Returned for changes"),
    "withdrawn": N_("Taken back to draft"),
    "published": N_("Published"),
    "docking": N_("Docking started"),
    "landed": N_("Landed"),
    "closed": N_("Closed"),
    "edited": N_("Edited"),
    "demonstration": N_("Demonstration scenario selection changed"),
    "imported": N_("Imported by an admin"),
    "revision_submitted": N_("Changes sent for review"),
    "revision_withdrawn": N_("Changes taken back"),
    "revision_approved": N_("Updated after review"),
    "revision_rejected": N_("Changes not published"),
    "reader_withdrawn": N_("Access to the details withdrawn"),
    "reader_regranted": N_("Access to the details granted again"),
}


def action_label(action: str) -> str:
    """A timeline step in words; a step unknown to this version shows as its code."""
    text = _ACTIONS.get(action)
    return gettext(text) if text else action
