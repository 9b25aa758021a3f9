"""Who qualifies for a policy: a pure function of an organization's facts and the policy's conditions.

``evaluate(facts, conditions)`` says, condition by condition, what is met, what is missing (in plain words,
with the organization's own value beside it) and which facts are unknown (请补充：成立日期). Unknown is not
qualified: nobody is told "yes" on a guess, and nobody is told "no" in silence.

``compile_conditions`` turns a policy's conditions into a list of small checks once, so that one
organization against a thousand published policies costs a few milliseconds (bench/policies_bench.py).
The words are made only when a page or a notification reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from community.accounts.models import OrgType
from community.i18n import N_, gettext
from community.policies.labels import activity_label, fact_label, stage_label
from community.policies.models import Stage
from community.vocabulary import district_label, domain_label, org_type_label


@dataclass(frozen=True)
class Facts:
    """What the site knows about one organization, as the policies ask it."""

    organization_id: Any
    org_type: OrgType
    founded_on: date | None = None
    stage: Stage | None = None
    team_size: int | None = None
    domains: frozenset[str] = frozenset()
    district: str | None = None
    verified_capability: bool = False
    approved_product: bool = False
    # None: the organization never said what it does (unknown); empty: it said "none of these".
    activities: frozenset[str] | None = None
    today: date = field(default_factory=date.today)

    @cached_property
    def age_months(self) -> int | None:
        if self.founded_on is None:
            return None
        months = (self.today.year - self.founded_on.year) * 12 + self.today.month - self.founded_on.month
        if self.today.day < self.founded_on.day:
            months -= 1
        return max(0, months)


@dataclass(frozen=True)
class Conditions:
    """A policy's eligibility; an empty field is no condition."""

    org_types: tuple[str, ...] = ()
    age_min_months: int | None = None
    age_max_months: int | None = None
    domains: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    team_min: int | None = None
    team_max: int | None = None
    verified_capability: bool = False
    approved_product: bool = False
    activities: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Conditions:
        data = data or {}

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return tuple(str(v) for v in value)

        def number(key: str) -> int | None:
            value = data.get(key)
            return int(value) if value is not None else None

        return cls(
            org_types=strings("org_types"),
            age_min_months=number("age_min_months"),
            age_max_months=number("age_max_months"),
            domains=strings("domains"),
            districts=strings("districts"),
            stages=strings("stages"),
            team_min=number("team_min"),
            team_max=number("team_max"),
            verified_capability=bool(data.get("verified_capability")),
            approved_product=bool(data.get("approved_product")),
            activities=strings("activities"),
        )

    def to_json(self) -> dict[str, Any]:
        """Only the conditions that are set: an absent key means "no condition" in filters too."""
        out: dict[str, Any] = {}
        for key in ("org_types", "domains", "districts", "stages", "activities"):
            if value := getattr(self, key):
                out[key] = list(value)
        for key in ("age_min_months", "age_max_months", "team_min", "team_max"):
            if (value := getattr(self, key)) is not None:
                out[key] = value
        for key in ("verified_capability", "approved_product"):
            if getattr(self, key):
                out[key] = True
        return out

    @property
    def empty(self) -> bool:
        return not self.to_json()


# --- one condition's outcome, in words when read ------------------------------------------------------------


def _join(values: Sequence[str], sep: str | None = None) -> str:
    return (sep if sep is not None else gettext(N_("、"))).join(values)


@dataclass(frozen=True)
class Check:
    """One condition of a policy for one organization: ``ok`` True (met), False (missing) or None (a fact
    it needs is unknown, named by ``fact``)."""

    code: str
    ok: bool | None
    params: tuple[tuple[str, Any], ...] = ()
    fact: str = ""

    @property
    def requirement(self) -> str:
        """The condition itself: 成立时间：不超过 36 个月."""
        p = dict(self.params)
        if self.code == "org_types":
            return gettext(N_("Organization type: %(types)s")) % {
                "types": _join([org_type_label(t) for t in p["types"]])
            }
        if self.code == "age":
            low, high = p.get("min"), p.get("max")
            if low is not None and high is not None:
                return gettext(N_("Company age: %(min)s to %(max)s months")) % {"min": low, "max": high}
            if high is not None:
                return gettext(N_("Company age: at most %(max)s months")) % {"max": high}
            return gettext(N_("Company age: at least %(min)s months")) % {"min": low}
        if self.code == "domains":
            return gettext(N_("Domain: one of %(domains)s")) % {
                "domains": _join([domain_label(d) for d in p["domains"]])
            }
        if self.code == "districts":
            return gettext(N_("District: %(districts)s")) % {
                "districts": _join([district_label(d) for d in p["districts"]])
            }
        if self.code == "stages":
            return gettext(N_("Stage: %(stages)s")) % {"stages": _join([stage_label(s) for s in p["stages"]])}
        if self.code == "team":
            low, high = p.get("min"), p.get("max")
            if low is not None and high is not None:
                return gettext(N_("Team size: %(min)s to %(max)s people")) % {"min": low, "max": high}
            if high is not None:
                return gettext(N_("Team size: at most %(max)s people")) % {"max": high}
            return gettext(N_("Team size: at least %(min)s people")) % {"min": low}
        if self.code == "verified_capability":
            return gettext(N_("Needs: a verified capability profile"))
        if self.code == "approved_product":
            return gettext(N_("Needs: a published AI product"))
        if self.code == "activities":
            return gettext(N_("Needs: %(activities)s")) % {
                "activities": _join([activity_label(a) for a in p["activities"]], gettext(N_(" or ")))
            }
        return self.code

    @property
    def text(self) -> str:
        """What a reader sees: the condition, with the organization's own value when it is not met, or
        请补充 when a fact is missing."""
        if self.ok is None:
            return gettext(N_("Please add: %(fact)s")) % {"fact": fact_label(self.fact)}
        if self.ok:
            return self.requirement
        yours = dict(self.params).get("yours")
        if yours is None or yours == "":
            return self.requirement
        if self.code == "age":
            suffix = gettext(N_("(yours: founded %(months)s months ago)")) % {"months": yours}
        elif self.code == "team":
            suffix = gettext(N_("(yours: %(size)s people)")) % {"size": yours}
        elif self.code == "org_types":
            suffix = gettext(N_("(yours: %(value)s)")) % {"value": org_type_label(yours)}
        elif self.code == "stages":
            suffix = gettext(N_("(yours: %(value)s)")) % {"value": stage_label(yours)}
        elif self.code == "districts":
            suffix = gettext(N_("(yours: %(value)s)")) % {"value": district_label(yours)}
        else:
            suffix = gettext(N_("(yours: %(value)s)")) % {"value": yours}
        return f"{self.requirement}{suffix}"


MET, MISSING, UNKNOWN = 1, 0, -1


class Verdict:
    """One organization against one policy. Whether each condition is met, missing or unknown is worked out
    at once (a few comparisons); the conditions in words only when a page or a notification reads them."""

    __slots__ = ("_checks", "_facts", "_rules", "_statuses", "qualifies")

    def __init__(self, rules: tuple[Rule, ...], facts: Facts, statuses: tuple[int, ...]) -> None:
        self._rules = rules
        self._facts = facts
        self._statuses = statuses
        self._checks: tuple[Check, ...] | None = None
        self.qualifies = MISSING not in statuses and UNKNOWN not in statuses

    @property
    def gaps(self) -> int:
        """How many conditions stand between the organization and the policy (missing or unknown)."""
        return sum(1 for status in self._statuses if status != MET)

    @property
    def checks(self) -> tuple[Check, ...]:
        if self._checks is None:
            self._checks = tuple(rule.describe(self._facts) for rule in self._rules)
        return self._checks

    @property
    def met(self) -> list[Check]:
        return [c for c in self.checks if c.ok is True]

    @property
    def missing(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    @property
    def unknown(self) -> list[Check]:
        return [c for c in self.checks if c.ok is None]

    @property
    def unknown_facts(self) -> list[str]:
        return list(dict.fromkeys(c.fact for c in self.unknown))

    @property
    def reasons(self) -> list[str]:
        """Why it fits (the met conditions), or an open policy's plain "open to all"."""
        return [c.text for c in self.met] or [gettext(N_("Open to every organization"))]


# --- compiled rules: a fast test, and the words when asked --------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One condition compiled: ``test`` is the fast status, ``describe`` the words for one organization and
    ``met`` the condition as every reader sees it."""

    test: Callable[[Facts], int]
    describe: Callable[[Facts], Check]
    met: Check


def _status(ok: bool | None) -> int:
    return UNKNOWN if ok is None else (MET if ok else MISSING)


def _org_types(types: tuple[str, ...]) -> Rule:
    wanted = frozenset(types)
    met = Check("org_types", True, (("types", types),))

    def test(f: Facts) -> int:
        return MET if f.org_type in wanted else MISSING

    def describe(f: Facts) -> Check:
        if f.org_type in wanted:
            return met
        return Check("org_types", False, (("types", types), ("yours", f.org_type.value)))

    return Rule(test, describe, met)


def _bounds(
    code: str, fact: str, low: int | None, high: int | None, value: Callable[[Facts], int | None]
) -> Rule:
    params = (("min", low), ("max", high))
    met = Check(code, True, params)
    floor = low if low is not None else -1
    ceiling = high if high is not None else 1 << 62

    def test(f: Facts) -> int:
        v = value(f)
        if v is None:
            return UNKNOWN
        return MET if floor <= v <= ceiling else MISSING

    def describe(f: Facts) -> Check:
        v = value(f)
        if v is None:
            return Check(code, None, params, fact)
        if floor <= v <= ceiling:
            return met
        return Check(code, False, (*params, ("yours", v)))

    return Rule(test, describe, met)


def _one_of(code: str, fact: str, key: str, values: tuple[str, ...], value: Callable[[Facts], Any]) -> Rule:
    """A fact that must be one of ``values`` (district, stage)."""
    wanted = frozenset(values)
    params = ((key, values),)
    met = Check(code, True, params)

    def test(f: Facts) -> int:
        v = value(f)
        if v is None or v == "":
            return UNKNOWN
        return MET if v in wanted else MISSING

    def describe(f: Facts) -> Check:
        v = value(f)
        if v is None or v == "":
            return Check(code, None, params, fact)
        if v in wanted:
            return met
        return Check(code, False, (*params, ("yours", getattr(v, "value", v))))

    return Rule(test, describe, met)


def _domains(domains: tuple[str, ...]) -> Rule:
    wanted = frozenset(domains)
    params = (("domains", domains),)
    met = Check("domains", True, params)

    def test(f: Facts) -> int:
        if not f.domains:
            return UNKNOWN
        return MISSING if wanted.isdisjoint(f.domains) else MET

    def describe(f: Facts) -> Check:
        if not f.domains:
            return Check("domains", None, params, "domains")
        if not wanted.isdisjoint(f.domains):
            return met
        return Check(
            "domains", False, (*params, ("yours", _join([domain_label(d) for d in sorted(f.domains)])))
        )

    return Rule(test, describe, met)


def _flag(code: str, attribute: str) -> Rule:
    met, missing = Check(code, True), Check(code, False)

    def test(f: Facts) -> int:
        return MET if getattr(f, attribute) else MISSING

    def describe(f: Facts) -> Check:
        return met if getattr(f, attribute) else missing

    return Rule(test, describe, met)


def _activities(activities: tuple[str, ...]) -> Rule:
    wanted = frozenset(activities)
    params = (("activities", activities),)
    met, missing = Check("activities", True, params), Check("activities", False, params)

    def test(f: Facts) -> int:
        if f.activities is None:
            return UNKNOWN
        return MISSING if wanted.isdisjoint(f.activities) else MET

    def describe(f: Facts) -> Check:
        return (
            Check("activities", None, params, "activities")
            if f.activities is None
            else (missing if wanted.isdisjoint(f.activities) else met)
        )

    return Rule(test, describe, met)


class CompiledConditions:
    __slots__ = ("rules", "tests")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.tests = tuple(rule.test for rule in rules)

    def evaluate(self, facts: Facts) -> Verdict:
        return Verdict(self.rules, facts, tuple([test(facts) for test in self.tests]))

    def qualifies(self, facts: Facts) -> bool:
        return all(test(facts) == MET for test in self.tests)


def compile_conditions(conditions: Conditions) -> CompiledConditions:
    rules: list[Rule] = []
    if conditions.org_types:
        rules.append(_org_types(conditions.org_types))
    if conditions.age_min_months is not None or conditions.age_max_months is not None:
        rules.append(
            _bounds("age", "founded_on", conditions.age_min_months, conditions.age_max_months, _age_of)
        )
    if conditions.domains:
        rules.append(_domains(conditions.domains))
    if conditions.districts:
        rules.append(_one_of("districts", "district", "districts", conditions.districts, _district_of))
    if conditions.stages:
        rules.append(_one_of("stages", "stage", "stages", conditions.stages, _stage_of))
    if conditions.team_min is not None or conditions.team_max is not None:
        rules.append(_bounds("team", "team_size", conditions.team_min, conditions.team_max, _team_of))
    if conditions.verified_capability:
        rules.append(_flag("verified_capability", "verified_capability"))
    if conditions.approved_product:
        rules.append(_flag("approved_product", "approved_product"))
    if conditions.activities:
        rules.append(_activities(conditions.activities))
    return CompiledConditions(tuple(rules))


def _age_of(f: Facts) -> int | None:
    return f.age_months


def _team_of(f: Facts) -> int | None:
    return f.team_size


def _district_of(f: Facts) -> str | None:
    return f.district


def _stage_of(f: Facts) -> Stage | None:
    return f.stage


def evaluate(facts: Facts, conditions: Conditions) -> Verdict:
    return compile_conditions(conditions).evaluate(facts)


def requirements(conditions: Conditions) -> list[str]:
    """The conditions in words, as a policy page lists them for every reader."""
    return [rule.met.requirement for rule in compile_conditions(conditions).rules]
