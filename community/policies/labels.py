"""The policy zone's codes (benefit kinds, stages, activities, statuses, facts) and the words people read
for them, in the reader's language."""

from __future__ import annotations

from community.i18n import N_, gettext
from community.kernel.labels import Labels
from community.policies.models import PolicyStatus, Stage

# What an organization does or spends on: the measures target those who buy compute, rent talent housing...
ACTIVITIES: dict[str, str] = {
    "buy_compute": N_("Buys compute services"),
    "use_data_products": N_("Uses data products for AI research"),
    "call_models": N_("Calls or deploys large models"),
    "vertical_model": N_("Develops a vertical-domain model"),
    "tech_challenge": N_("Poses or takes on a technical challenge"),
    "rent_talent_housing": N_("Rents talent rental housing"),
    "buy_new_home": N_("Founder or executive buys a new home"),
    "new_to_wuhan": N_("Talent newly come to Wuhan"),
    "recruit_talent": N_("Recruits scarce talent"),
    "talent_program": N_("Applies for the Wuhan Talent Programme"),
    "in_eco_community": N_("Based in an OPC eco-community"),
    "got_investment": N_("Has received investment"),
    "startup_loan": N_("Applies for a start-up guaranteed loan"),
    "compute_loan": N_("Borrows for compute purchases"),
    "hosts_events": N_("Hosts innovation and start-up events"),
    "competition": N_("Enters the OPC innovation competition"),
}

BENEFIT_KINDS: dict[str, str] = {
    "subsidy": N_("Subsidy"),
    "grant": N_("Grant"),
    "free_resource": N_("Free resources"),
    "loan": N_("Loan"),
    "housing": N_("Housing"),
    "service_pack": N_("Service package"),
    "insurance": N_("Insurance"),
    "investment": N_("Investment"),
}

# The facts a condition may need, named as the 请补充 line names them.
FACTS: dict[str, str] = {
    "founded_on": N_("founding date"),
    "stage": N_("stage"),
    "team_size": N_("team size"),
    "domains": N_("domains"),
    "district": N_("district"),
    "activities": N_("what your organization does"),
}

label = Labels(
    {
        PolicyStatus.DRAFT: N_("Draft"),
        PolicyStatus.PUBLISHED: N_("Published"),
        PolicyStatus.WITHDRAWN: N_("Withdrawn"),
        Stage.PREPARING: N_("Preparing"),
        Stage.STARTUP: N_("Start-up"),
        Stage.GROWTH: N_("Growing"),
        Stage.MATURE: N_("Mature"),
    }
)


def activity_label(code: str) -> str:
    text = ACTIVITIES.get(code)
    return gettext(text) if text else code


def benefit_kind_label(code: str) -> str:
    text = BENEFIT_KINDS.get(code)
    return gettext(text) if text else code


def stage_label(code: str | Stage | None) -> str:
    if code is None or code == "":
        return ""
    try:
        return label(Stage(code))
    except ValueError:
        return str(code)


def fact_label(code: str) -> str:
    text = FACTS.get(code)
    return gettext(text) if text else code


def choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in mapping.items()]


def stage_choices() -> list[tuple[str, str]]:
    return [(stage.value, label(stage)) for stage in Stage]
