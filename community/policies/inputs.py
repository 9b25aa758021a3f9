"""What people send the policy zone, parsed and checked: a policy (from the admin form or the API) with its
benefits and conditions, the public list's filters, and an organization's policy facts; and each of them
as its form shows it again.

Parsing never decides who may do what: the services check that, then call these to check the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from community.accounts.models import OrgType
from community.accounts.services import SLUG_RE, URL_RE
from community.i18n import N_, _, gettext
from community.kernel.models import page_number
from community.kernel.text import clean_body, clean_line
from community.policies.labels import ACTIVITIES, BENEFIT_KINDS
from community.policies.models import Stage
from community.policies.services.eligibility import Conditions
from community.policies.views import benefits_of
from community.vocabulary import DISTRICTS, DOMAINS
from community.web.forms import field as one
from community.web.forms import many

if TYPE_CHECKING:
    from community.policies.models import OrganizationFacts, Policy

TITLE_MAX = 120
SUMMARY_MAX = 5000
HOW_MAX = 5000
UNIT_MAX = 200
MEASURE_MAX = 40
URL_MAX = 500
BENEFITS_MAX = 8
BENEFIT_TEXT_MAX = 300
AMOUNT_MAX = 100
CAP_MAX = 10_000_000_000
MONTHS_MAX = 240
AGE_MAX_MONTHS = 1200
TEAM_MAX = 100_000
EARLIEST_FOUNDING = date(1949, 10, 1)

BENEFIT_FIELDS = ("kind", "description", "amount", "cap_yuan", "months")
# The conditions as a form sends them: checkbox lists, numbers, and yes/no flags.
CONDITION_LISTS = ("org_types", "domains", "districts", "stages", "activities")
CONDITION_NUMBERS = ("age_min_months", "age_max_months", "team_min", "team_max")
CONDITION_FLAGS = ("verified_capability", "approved_product")


# --- one value ---------------------------------------------------------------------------------------------


def _text(raw: str, name: str, limit: int, errors: dict[str, str], *, required: bool, line: bool) -> str:
    value = clean_line(raw) if line else clean_body(raw)
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("Use at most %(n)s characters.", n=limit)
    return value


def whole_number(raw: Any, name: str, errors: dict[str, str], *, high: int, low: int = 0) -> int | None:
    """A whole number from ``low`` to ``high`` as a person types it ("200,000"); blank is None."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = _("Enter a whole number.")
        return None
    if not low <= value <= high:
        errors[name] = _("Enter a number between %(low)s and %(high)s.", low=low, high=high)
        return None
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, list):
        value = value[-1] if value else ""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "on", "yes"}


def _as_text(value: int | None) -> str:
    return "" if value is None else str(value)


# --- a policy ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInput:
    """What an admin sends, from the form or the API, before it is checked."""

    title: str = ""
    slug: str = ""
    summary: str = ""
    source_measure: str = ""
    issuing_unit: str = ""
    how_to_apply: str = ""
    apply_url: str = ""
    deadline: str = ""
    auto_granted: bool = False
    benefits: tuple[dict[str, str], ...] = ()
    conditions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> PolicyInput:
        """Benefit rows arrive as benefit_kind_0, benefit_description_0, ... (blank rows are dropped)."""
        rows = tuple(
            {key: one(data, f"benefit_{key}_{i}").strip() for key in BENEFIT_FIELDS}
            for i in range(BENEFITS_MAX)
        )
        conditions: dict[str, Any] = {key: many(data, key) for key in CONDITION_LISTS}
        conditions.update({key: one(data, key) for key in (*CONDITION_NUMBERS, *CONDITION_FLAGS)})
        return cls(
            title=one(data, "title"),
            slug=one(data, "slug"),
            summary=one(data, "summary"),
            source_measure=one(data, "source_measure"),
            issuing_unit=one(data, "issuing_unit"),
            how_to_apply=one(data, "how_to_apply"),
            apply_url=one(data, "apply_url"),
            deadline=one(data, "deadline"),
            auto_granted=one(data, "auto_granted") in ("1", "on", "true"),
            benefits=rows,
            conditions=conditions,
        )


@dataclass(frozen=True)
class PolicyValues:
    """A policy's values once checked, ready to be written."""

    title: str
    slug: str
    summary: str
    source_measure: str
    issuing_unit: str
    how_to_apply: str
    apply_url: str | None
    deadline: date | None
    auto_granted: bool
    benefits: list[dict[str, Any]]
    conditions: Conditions


def _benefits(rows: Sequence[Mapping[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    benefits: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not any(str(v).strip() for v in row.values()):
            continue
        if len(benefits) >= BENEFITS_MAX:
            errors["benefits"] = _("At most %(n)s benefits.", n=BENEFITS_MAX)
            break
        kind = str(row.get("kind") or "").strip()
        if kind not in BENEFIT_KINDS:
            errors[f"benefit_kind_{i}"] = _("Choose the kind of benefit.")
        description = str(row.get("description") or "")
        amount = str(row.get("amount") or "")
        benefits.append(
            {
                "kind": kind,
                "description": _text(
                    description,
                    f"benefit_description_{i}",
                    BENEFIT_TEXT_MAX,
                    errors,
                    required=True,
                    line=True,
                ),
                "amount": _text(amount, f"benefit_amount_{i}", AMOUNT_MAX, errors, required=False, line=True),
                "cap_yuan": whole_number(row.get("cap_yuan"), f"benefit_cap_yuan_{i}", errors, high=CAP_MAX),
                "months": whole_number(
                    row.get("months"), f"benefit_months_{i}", errors, high=MONTHS_MAX, low=1
                ),
            }
        )
    if not benefits and "benefits" not in errors:
        errors["benefits"] = _("Describe at least one benefit.")
    return benefits


def validate_policy(data: PolicyInput) -> tuple[PolicyValues, dict[str, str]]:
    """The values of a policy and, per field, what is wrong with them (nothing when they may be saved)."""
    errors: dict[str, str] = {}
    title = _text(data.title, "title", TITLE_MAX, errors, required=True, line=True)
    slug = clean_line(data.slug).lower()
    if not slug:
        errors["slug"] = _("This field is required.")
    elif not SLUG_RE.match(slug):
        errors["slug"] = _("Use lowercase letters, digits and hyphens, for example compute-voucher.")
    summary = _text(data.summary, "summary", SUMMARY_MAX, errors, required=True, line=False)
    measure = _text(data.source_measure, "source_measure", MEASURE_MAX, errors, required=False, line=True)
    unit = _text(data.issuing_unit, "issuing_unit", UNIT_MAX, errors, required=True, line=True)
    how = _text(data.how_to_apply, "how_to_apply", HOW_MAX, errors, required=False, line=False)
    apply_url = clean_line(data.apply_url) or None
    if apply_url and (len(apply_url) > URL_MAX or not URL_RE.match(apply_url)):
        errors["apply_url"] = _("Enter a full address starting with http:// or https://.")
    deadline = None
    if data.deadline.strip():
        try:
            deadline = date.fromisoformat(data.deadline.strip())
        except ValueError:
            errors["deadline"] = _("Enter the date as YYYY-MM-DD, for example 2028-12-31.")
    benefits = _benefits(data.benefits, errors)
    conditions = validate_conditions(data.conditions, errors)
    values = PolicyValues(
        title=title,
        slug=slug,
        summary=summary,
        source_measure=measure,
        issuing_unit=unit,
        how_to_apply=how,
        apply_url=apply_url,
        deadline=deadline,
        auto_granted=data.auto_granted,
        benefits=benefits,
        conditions=conditions,
    )
    return values, errors


def validate_conditions(data: Mapping[str, Any], errors: dict[str, str]) -> Conditions:
    """Conditions from loose input (a form's lists and texts, or JSON); unknown codes are refused by name."""

    def listed(key: str, allowed: Sequence[str], message: str) -> tuple[str, ...]:
        raw = data.get(key) or []
        values = [raw] if isinstance(raw, str) else [str(v) for v in raw]
        values = [v for v in dict.fromkeys(v.strip() for v in values) if v]
        if any(v not in allowed for v in values):
            errors[key] = gettext(message)
        return tuple(v for v in values if v in allowed)

    def number(key: str, high: int) -> int | None:
        return whole_number(data.get(key), key, errors, high=high)

    conditions = Conditions(
        org_types=listed(
            "org_types", [t.value for t in OrgType], N_("Choose organization types from the list.")
        ),
        domains=listed("domains", DOMAINS, N_("Choose domains from the list.")),
        districts=listed("districts", DISTRICTS, N_("Choose districts from the list.")),
        stages=listed("stages", [s.value for s in Stage], N_("Choose stages from the list.")),
        activities=listed("activities", list(ACTIVITIES), N_("Choose activities from the list.")),
        age_min_months=number("age_min_months", AGE_MAX_MONTHS),
        age_max_months=number("age_max_months", AGE_MAX_MONTHS),
        team_min=number("team_min", TEAM_MAX),
        team_max=number("team_max", TEAM_MAX),
        verified_capability=_truthy(data.get("verified_capability")),
        approved_product=_truthy(data.get("approved_product")),
    )
    for low, high in (("age_min_months", "age_max_months"), ("team_min", "team_max")):
        least, most = getattr(conditions, low), getattr(conditions, high)
        if least is not None and most is not None and least > most:
            errors[high] = gettext(N_("The most cannot be less than the least."))
    return conditions


def policy_form(policy: Policy) -> dict[str, Any]:
    """A policy as its edit form shows it."""
    conditions = Conditions.from_json(policy.conditions)
    form: dict[str, Any] = {
        "title": policy.title,
        "slug": policy.slug,
        "summary": policy.summary,
        "source_measure": policy.source_measure,
        "issuing_unit": policy.issuing_unit,
        "how_to_apply": policy.how_to_apply,
        "apply_url": policy.apply_url or "",
        "deadline": policy.deadline.isoformat() if policy.deadline else "",
        "auto_granted": "1" if policy.auto_granted else "",
    }
    form.update({key: list(getattr(conditions, key)) for key in CONDITION_LISTS})
    form.update({key: _as_text(getattr(conditions, key)) for key in CONDITION_NUMBERS})
    form.update({key: "1" if getattr(conditions, key) else "" for key in CONDITION_FLAGS})
    for i, benefit in enumerate(benefits_of(policy)):
        form[f"benefit_kind_{i}"] = benefit.kind
        form[f"benefit_description_{i}"] = benefit.description
        form[f"benefit_amount_{i}"] = benefit.amount
        form[f"benefit_cap_yuan_{i}"] = _as_text(benefit.cap_yuan)
        form[f"benefit_months_{i}"] = _as_text(benefit.months)
    return form


def new_policy_form() -> dict[str, Any]:
    """A new policy's form: open to one-person companies until the admin says otherwise."""
    return {key: [] for key in CONDITION_LISTS} | {"org_types": ["opc"]}


# --- the public list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyFilters:
    kind: str | None = None
    domain: str | None = None
    district: str | None = None
    org_type: str | None = None
    unit: str | None = None
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> PolicyFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        return cls(
            kind=values.get("kind") if values.get("kind") in BENEFIT_KINDS else None,
            domain=values.get("domain") if values.get("domain") in DOMAINS else None,
            district=values.get("district") if values.get("district") in DISTRICTS else None,
            org_type=values.get("org_type") if values.get("org_type") in {t.value for t in OrgType} else None,
            unit=(clean_line(str(values.get("unit") or ""))[:UNIT_MAX] or None),
            page=page_number(values.get("page") or 1),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values = {
            "kind": self.kind,
            "domain": self.domain,
            "district": self.district,
            "org_type": self.org_type,
            "unit": self.unit,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


# --- an organization's policy facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class FactsInput:
    """What an owner sends on the policy facts page, before it is checked."""

    founded_on: str = ""
    stage: str = ""
    team_size: str = ""
    activities: tuple[str, ...] = ()

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> FactsInput:
        return cls(
            founded_on=one(data, "founded_on"),
            stage=one(data, "stage"),
            team_size=one(data, "team_size"),
            activities=tuple(many(data, "activities")),
        )

    def validate(self, on: date) -> tuple[dict[str, Any], dict[str, str]]:
        """The columns to write and, per field, what is wrong (``on``: today, no founding after it)."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"founded_on": None, "stage": None, "team_size": None}
        raw_date = self.founded_on.strip()
        if raw_date:
            try:
                founded = date.fromisoformat(raw_date)
            except ValueError:
                errors["founded_on"] = _("Enter the date as YYYY-MM-DD, for example 2025-03-18.")
            else:
                if founded > on:
                    errors["founded_on"] = _("The founding date cannot be in the future.")
                elif founded < EARLIEST_FOUNDING:
                    errors["founded_on"] = _("Check the year of the founding date.")
                else:
                    values["founded_on"] = founded
        if self.stage:
            try:
                values["stage"] = Stage(self.stage)
            except ValueError:
                errors["stage"] = _("Choose a stage from the list.")
        values["team_size"] = whole_number(self.team_size, "team_size", errors, high=TEAM_MAX, low=1)
        activities = list(dict.fromkeys(a for a in self.activities if a))
        if any(a not in ACTIVITIES for a in activities):
            errors["activities"] = _("Choose activities from the list.")
        values["activities"] = [a for a in activities if a in ACTIVITIES]
        return values, errors


def facts_form(saved: OrganizationFacts | None) -> dict[str, Any]:
    """An organization's saved facts as the facts page shows them."""
    if saved is None:
        return {"activities": []}
    return {
        "founded_on": saved.founded_on.isoformat() if saved.founded_on else "",
        "stage": saved.stage.value if saved.stage else "",
        "team_size": str(saved.team_size or ""),
        "activities": list(saved.activities),
    }
