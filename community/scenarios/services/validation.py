"""What a scenario and a capability profile must say, checked the same way for the form, the JSON API and
the bulk import."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from community.accounts.services import EMAIL_RE
from community.errors import FormError
from community.i18n import _
from community.kernel.text import clean_body, clean_line
from community.scenarios.inputs import ITEMS_MAX, CapabilityInput, ScenarioInput, budget_mode_of
from community.scenarios.models import Maturity, ScenarioKind, ScenarioScale
from community.vocabulary import DISTRICTS, DOMAINS

__all__ = (
    "BUDGET_MODES",
    "CapabilityValues",
    "ScenarioInput",
    "ScenarioValues",
    "budget_mode_of",
    "reason_text",
    "validate_capability",
    "validate_scenario",
)

E = TypeVar("E", bound=enum.Enum)

TITLE_MAX = 120
ABSTRACT_MAX = 500
DESCRIPTION_MAX = 20_000
OUTCOME_MAX = 5_000
DOMAINS_MAX = 5
BUDGET_MAX = 10**12  # a trillion yuan: past that it is a typo
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,30}$")
BUDGET_MODES = ("negotiable", "amount", "range")
SUMMARY_MAX = 2000
REASON_MAX = 2000  # a reason, note or answer written for the other side
CASES_MAX = 10_000
TECHNOLOGY_MAX = 200
TEAM_MAX = 500


@dataclass
class ScenarioValues:
    """The cleaned values, ready for the model."""

    title: str = ""
    kind: ScenarioKind | None = None
    scale: ScenarioScale | None = None
    domains: list[str] = field(default_factory=list)
    district: str = ""
    abstract: str = ""
    description: str = ""
    expected_outcome: str = ""
    budget_min: int | None = None
    budget_max: int | None = None
    budget_negotiable: bool = False
    deadline: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


def _choice(enum_cls: type[E], raw: str) -> E | None:
    """The member a code names, or None (for nothing, or a code nobody knows)."""
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def _yuan(raw: str) -> int | None:
    text = clean_line(raw).replace(",", "").replace("，", "").replace("元", "").strip()
    if not text:
        return None
    if text.endswith("万"):
        multiplier, text = 10_000, text[:-1]
    else:
        multiplier = 1
    try:
        amount = float(text)
    except ValueError:
        return -1
    if amount != amount or amount in (float("inf"), float("-inf")):
        return -1
    return round(amount * multiplier)


def validate_scenario(
    data: ScenarioInput, *, complete: bool, today: date
) -> tuple[ScenarioValues, dict[str, str]]:
    """Clean ``data`` and say what is wrong, field by field.

    A draft (``complete=False``) needs only a title, so nothing typed is lost; submitting, publishing and
    importing (``complete=True``) need everything a reader and an admin rely on.
    """
    errors: dict[str, str] = {}
    values = ScenarioValues()

    values.title = clean_line(data.title)
    if not values.title:
        errors["title"] = _("Give the scenario a title.")
    elif len(values.title) > TITLE_MAX:
        errors["title"] = _("Use at most %(n)s characters for the title.", n=TITLE_MAX)

    values.kind = _choice(ScenarioKind, data.kind)
    if values.kind is None and (data.kind or complete):
        errors["kind"] = _("Choose the kind of scenario.")
    values.scale = _choice(ScenarioScale, data.scale)
    if values.scale is None and (data.scale or complete):
        errors["scale"] = _("Choose the scale of the scenario.")

    domains = list(dict.fromkeys(clean_line(d) for d in data.domains if clean_line(d)))
    if any(d not in DOMAINS for d in domains):
        errors["domains"] = _("Choose domains from the list.")
    elif len(domains) > DOMAINS_MAX:
        errors["domains"] = _("Choose at most %(n)s domains.", n=DOMAINS_MAX)
    elif complete and not domains:
        errors["domains"] = _("Choose at least one domain.")
    values.domains = domains

    values.district = clean_line(data.district)
    if values.district and values.district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    elif complete and not values.district:
        errors["district"] = _("Choose the district where the scenario is.")

    values.abstract = clean_body(data.abstract)
    if len(values.abstract) > ABSTRACT_MAX:
        errors["abstract"] = _("Use at most %(n)s characters for the public abstract.", n=ABSTRACT_MAX)
    elif complete and not values.abstract:
        errors["abstract"] = _("Write a short public abstract: what is needed, in a few sentences.")

    values.description = clean_body(data.description)
    if len(values.description) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(n)s characters for the description.", n=DESCRIPTION_MAX)
    elif complete and not values.description:
        errors["description"] = _("Describe the scenario in detail.")

    values.expected_outcome = clean_body(data.expected_outcome)
    if len(values.expected_outcome) > OUTCOME_MAX:
        errors["expected_outcome"] = _(
            "Use at most %(n)s characters for the expected outcome.", n=OUTCOME_MAX
        )
    elif complete and not values.expected_outcome:
        errors["expected_outcome"] = _("Say what outcome you expect.")

    _validate_budget(data, values, errors, complete)

    deadline_text = clean_line(data.deadline)
    if deadline_text:
        try:
            values.deadline = date.fromisoformat(deadline_text[:10].replace("/", "-"))
        except ValueError:
            errors["deadline"] = _("Enter the deadline as a date, like 2027-03-31.")
        else:
            if values.deadline < today:
                errors["deadline"] = _("The deadline has already passed; choose a later date.")

    values.contact_name = clean_line(data.contact_name)
    values.contact_phone = clean_line(data.contact_phone)
    values.contact_email = clean_line(data.contact_email).lower()
    if len(values.contact_name) > 50:
        errors["contact_name"] = _("Use at most %(n)s characters for the name.", n=50)
    elif complete and not values.contact_name:
        errors["contact_name"] = _("Name the person OPCs may contact.")
    if values.contact_phone and not PHONE_RE.match(values.contact_phone):
        errors["contact_phone"] = _("Enter a phone number with digits, spaces, + or -.")
    if values.contact_email and (len(values.contact_email) > 254 or not EMAIL_RE.match(values.contact_email)):
        errors["contact_email"] = _("Enter a valid email address, like name@example.com.")
    if complete and not values.contact_phone and not values.contact_email and "contact_phone" not in errors:
        errors["contact_phone"] = _("Give a phone number or an email address.")
    return values, errors


def _validate_budget(
    data: ScenarioInput, values: ScenarioValues, errors: dict[str, str], complete: bool
) -> None:
    mode = clean_line(data.budget_mode)
    low, high = _yuan(data.budget_min), _yuan(data.budget_max)
    if not mode:  # a spreadsheet row or an API call may just give the amounts
        mode = "range" if low is not None and high is not None and low != high else "amount" if low else ""
    if mode not in ("", *BUDGET_MODES):
        errors["budget_mode"] = _("Choose how the budget is given.")
        return
    if not mode:
        if complete:
            errors["budget_mode"] = _("Give a budget, or choose 'to be negotiated'.")
        return
    if mode == "negotiable":
        values.budget_negotiable = True
        return
    for name, amount in (("budget_min", low), ("budget_max", high if mode == "range" else low)):
        if amount is None:
            errors[name] = _("Enter an amount in yuan.")
        elif amount <= 0 or amount > BUDGET_MAX:
            errors[name] = _("Enter an amount in yuan, like 200000 or 20万.")
    if errors.get("budget_min") or errors.get("budget_max"):
        return
    values.budget_min = low
    values.budget_max = high if mode == "range" else low
    if (
        values.budget_max is not None
        and values.budget_min is not None
        and values.budget_max < values.budget_min
    ):
        errors["budget_max"] = _("The upper amount must not be below the lower amount.")


def reason_text(raw: str, *, missing: str | None = None, name: str = "reason") -> str:
    """A reason, note or answer written for the other side (who reads it in a notification): cleaned, and
    at most ``REASON_MAX`` characters; required when ``missing`` says what to ask for. A refusal names the
    form's field ``name``."""
    text = clean_body(raw)
    if missing and not text:
        raise FormError({name: missing})
    if len(text) > REASON_MAX:
        too_long = (
            _("Use at most %(n)s characters for the reason.", n=REASON_MAX)
            if name == "reason"
            else _("Use at most %(n)s characters.", n=REASON_MAX)
        )
        raise FormError({name: too_long})
    return text


@dataclass
class CapabilityValues:
    """A capability profile's cleaned values, ready for the model; ``items`` are (domain, technology,
    maturity) in the order given."""

    summary: str = ""
    cases: str = ""
    team_size: int = 1
    district: str = ""
    items: list[tuple[str, str, Maturity]] = field(default_factory=list)


def validate_capability(data: CapabilityInput, *, complete: bool) -> tuple[CapabilityValues, dict[str, str]]:
    """Clean a profile and say what is wrong; a draft (``complete=False``) may leave the summary, the
    district and the capabilities for later."""
    errors: dict[str, str] = {}
    values = CapabilityValues(
        summary=clean_body(data.summary), cases=clean_body(data.cases), district=clean_line(data.district)
    )
    if not values.summary and complete:
        errors["summary"] = _("Say in a few sentences what your OPC does.")
    elif len(values.summary) > SUMMARY_MAX:
        errors["summary"] = _("Use at most %(n)s characters for the summary.", n=SUMMARY_MAX)
    if len(values.cases) > CASES_MAX:
        errors["cases"] = _("Use at most %(n)s characters for the cases.", n=CASES_MAX)
    try:
        values.team_size = int(clean_line(data.team_size) or "1")
    except ValueError:
        values.team_size = 0
    if not 1 <= values.team_size <= TEAM_MAX:
        errors["team_size"] = _("Enter the number of people, from 1 to %(n)s.", n=TEAM_MAX)
    if values.district and values.district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    elif complete and not values.district:
        errors["district"] = _("Choose the district where you work.")
    for index, item in enumerate(data.items):
        technology = clean_line(item.technology)
        if item.domain not in DOMAINS:
            errors[f"item_domain_{index}"] = _("Choose a domain from the list.")
        if not technology:
            errors[f"item_technology_{index}"] = _("Name the technology or service.")
        elif len(technology) > TECHNOLOGY_MAX:
            errors[f"item_technology_{index}"] = _("Use at most %(n)s characters.", n=TECHNOLOGY_MAX)
        maturity = _choice(Maturity, item.maturity)
        if maturity is None:
            errors[f"item_maturity_{index}"] = _("Choose how mature it is.")
            continue
        values.items.append((item.domain, technology, maturity))
    if len(data.items) > ITEMS_MAX:
        errors["items"] = _("List at most %(n)s capabilities; keep the strongest.", n=ITEMS_MAX)
    elif complete and not data.items:
        errors["items"] = _("List at least one capability.")
    return values, errors
