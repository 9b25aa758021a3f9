"""What comes in to the scenario zone, in one shape each: a scenario or a capability profile as typed (from
a form, the JSON API or a spreadsheet row), and the filters of the two public lists.

Nothing here judges the values: ``validation`` and the services do. Parsing only decides what text each
field holds, and a filter drops a code it does not know (a stale or hand-made link still shows a list).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from uuid import UUID

from community.kernel.models import page_number
from community.scenarios.models import PUBLIC_STATUSES, Maturity, ScenarioKind, ScenarioScale
from community.vocabulary import DISTRICTS, DOMAINS

if TYPE_CHECKING:
    from collections.abc import Collection

    from community.scenarios.models import CapabilityProfile, Scenario

ITEMS_MAX = 12  # capabilities in one profile
# A form carries a few empty rows more than a profile may hold, so that too many is said, not cut.
ITEM_ROWS_READ = ITEMS_MAX + 8
# Budget filter buckets in yuan (code, lowest, highest): a scenario matches when its range touches one.
BUDGET_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("lt100k", 0, 99_999),
    ("100k-500k", 100_000, 500_000),
    ("500k-1m", 500_001, 1_000_000),
    ("1m-5m", 1_000_001, 5_000_000),
    ("gt5m", 5_000_001, None),
)
BUDGET_FILTERS = ("negotiable", *(code for code, _low, _high in BUDGET_BUCKETS))
SORTS = ("newest", "deadline")
_DOMAIN_SEPARATORS = re.compile(r"[,，、;；/\s]+")


def _text(data: Mapping[str, Any], name: str) -> str:
    """One value as text: sent twice, the last one wins (as in a browser); a spreadsheet's number is text."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def optional_uuid(raw: str) -> UUID | None:
    """An id chosen in a form; nothing, or something that is no id, is None."""
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None


def budget_mode_of(budget_min: int | None, budget_max: int | None, negotiable: bool) -> str:
    """How the form shows a stored budget: negotiable, one amount, or a range."""
    if negotiable:
        return "negotiable"
    if budget_min is None:
        return ""
    return "amount" if budget_min == budget_max else "range"


@dataclass(frozen=True)
class ScenarioInput:
    """A scenario as typed: every value a string (or strings), exactly as it came in."""

    title: str = ""
    kind: str = ""
    scale: str = ""
    domains: tuple[str, ...] = ()
    district: str = ""
    abstract: str = ""
    description: str = ""
    expected_outcome: str = ""
    budget_mode: str = ""
    budget_min: str = ""
    budget_max: str = ""
    deadline: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ScenarioInput:
        raw_domains = data.get("domains", ())
        if isinstance(raw_domains, str):
            # "智慧医疗、教育" from a spreadsheet cell, or one checkbox
            raw_domains = [d for d in _DOMAIN_SEPARATORS.split(raw_domains) if d]
        values: dict[str, Any] = {name: _text(data, name) for name in _SCENARIO_TEXT_FIELDS}
        return cls(**values, domains=tuple(str(d) for d in (raw_domains or ())))

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioInput:
        """What a stored scenario says, as if typed again (to check it whole, or to fill the edit form)."""
        return cls(
            title=scenario.title,
            kind=scenario.kind.value,
            scale=scenario.scale.value,
            domains=tuple(scenario.domains),
            district=scenario.district,
            abstract=scenario.abstract,
            description=scenario.description,
            expected_outcome=scenario.expected_outcome,
            budget_mode=budget_mode_of(scenario.budget_min, scenario.budget_max, scenario.budget_negotiable),
            budget_min="" if scenario.budget_min is None else str(scenario.budget_min),
            budget_max="" if scenario.budget_max is None else str(scenario.budget_max),
            deadline=scenario.deadline.isoformat() if scenario.deadline else "",
            contact_name=scenario.contact_name,
            contact_phone=scenario.contact_phone,
            contact_email=scenario.contact_email,
        )

    def as_form(self) -> dict[str, Any]:
        """The values as the form template reads them (the domains as a list)."""
        form: dict[str, Any] = {name: getattr(self, name) for name in _SCENARIO_TEXT_FIELDS}
        form["domains"] = list(self.domains)
        return form


_SCENARIO_TEXT_FIELDS = tuple(f.name for f in fields(ScenarioInput) if f.name != "domains")


@dataclass(frozen=True)
class CapabilityItemInput:
    domain: str = ""
    technology: str = ""
    maturity: str = ""


@dataclass(frozen=True)
class CapabilityInput:
    summary: str = ""
    cases: str = ""
    team_size: str = "1"
    district: str = ""
    items: tuple[CapabilityItemInput, ...] = ()

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> CapabilityInput:
        """Form rows arrive as item_domain_0, item_technology_0, item_maturity_0, ... (blank rows ignored)."""
        items = []
        for index in range(ITEM_ROWS_READ):
            item = CapabilityItemInput(
                *(_text(data, f"item_{part}_{index}") for part in ("domain", "technology", "maturity"))
            )
            if item.domain or item.technology.strip() or item.maturity:
                items.append(item)
        return cls(
            summary=_text(data, "summary"),
            cases=_text(data, "cases"),
            team_size=_text(data, "team_size") or "1",
            district=_text(data, "district"),
            items=tuple(items),
        )

    @staticmethod
    def form_of(profile: CapabilityProfile | None) -> dict[str, Any]:
        """A stored profile as the form shows it, one row per capability."""
        if profile is None:
            return {"team_size": "1"}
        form: dict[str, Any] = {
            "summary": profile.summary,
            "cases": profile.cases,
            "team_size": str(profile.team_size),
            "district": profile.district,
        }
        for index, item in enumerate(profile.items):
            form[f"item_domain_{index}"] = item.domain
            form[f"item_technology_{index}"] = item.technology
            form[f"item_maturity_{index}"] = item.maturity.value
        return form


# --- the filters of the public lists ----------------------------------------------------------------------


def _known(value: Any, allowed: Collection[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _query(values: dict[str, Any], changes: dict[str, Any]) -> dict[str, str]:
    """Filters as URL parameters, with ``changes`` applied (None removes one); empty ones left out."""
    return {k: str(v) for k, v in {**values, **changes}.items() if v not in (None, "")}


@dataclass(frozen=True)
class ScenarioFilters:
    domain: str | None = None
    district: str | None = None
    kind: str | None = None
    scale: str | None = None
    status: str | None = None
    budget: str | None = None
    demonstration: bool = False
    sort: str = "newest"
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> ScenarioFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        return cls(
            domain=_known(values.get("domain"), DOMAINS),
            district=_known(values.get("district"), DISTRICTS),
            kind=_known(values.get("kind"), {k.value for k in ScenarioKind}),
            scale=_known(values.get("scale"), {s.value for s in ScenarioScale}),
            status=_known(values.get("status"), {s.value for s in PUBLIC_STATUSES}),
            budget=_known(values.get("budget"), BUDGET_FILTERS),
            demonstration=values.get("demonstration") in (True, "1", "true", "on"),
            sort=_known(values.get("sort"), SORTS) or "newest",
            page=page_number(values.get("page") or 1),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (for links that change one of them)."""
        values = {
            "domain": self.domain,
            "district": self.district,
            "kind": self.kind,
            "scale": self.scale,
            "status": self.status,
            "budget": self.budget,
            "demonstration": "1" if self.demonstration else None,
            "sort": self.sort if self.sort != "newest" else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        return _query(values, changes)


@dataclass(frozen=True)
class CapabilityFilters:
    domain: str | None = None
    district: str | None = None
    maturity: str | None = None
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> CapabilityFilters:
        """Unknown codes are dropped rather than refused: a stale link still shows a list."""
        return cls(
            domain=_known(values.get("domain"), DOMAINS),
            district=_known(values.get("district"), DISTRICTS),
            maturity=_known(values.get("maturity"), {m.value for m in Maturity}),
            page=page_number(values.get("page") or 1),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values = {
            "domain": self.domain,
            "district": self.district,
            "maturity": self.maturity,
            "page": str(self.page) if self.page > 1 else None,
        }
        return _query(values, changes)
