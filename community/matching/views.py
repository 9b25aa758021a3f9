"""What pages and mails show of a match: the cards of recommended OPCs and scenarios (plain data, cached
across requests), and a match's explanation in plain words in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from community.i18n import _
from community.matching.ranker import Explanation
from community.scenarios.models import Scenario
from community.scenarios.services.capabilities import capability_url
from community.scenarios.services.scenarios import scenario_url
from community.vocabulary import district_label, domain_label


@dataclass(frozen=True, slots=True)
class ProfileCard:
    """What a page shows of a recommended OPC (plain data: cached across requests)."""

    profile_id: UUID
    organization_id: UUID
    name: str
    slug: str
    summary: str
    district: str
    domains: tuple[str, ...]

    @property
    def url(self) -> str:
        return capability_url(self.slug)


@dataclass(frozen=True, slots=True)
class ScenarioCard:
    scenario_id: UUID
    organization_id: UUID
    organization_name: str
    title: str
    abstract: str
    district: str
    domains: tuple[str, ...]
    published_at: datetime | None

    @property
    def url(self) -> str:
        return scenario_url(self.scenario_id)


def scenario_card(scenario: Scenario) -> ScenarioCard:
    return ScenarioCard(
        scenario_id=scenario.id,
        organization_id=scenario.organization_id,
        organization_name=scenario.organization.name,
        title=scenario.title,
        abstract=scenario.abstract,
        district=scenario.district,
        domains=tuple(scenario.domains),
        published_at=scenario.published_at,
    )


# --- explanations in plain words ---------------------------------------------------------------------------


def reasons(explanation: Explanation | dict[str, Any]) -> list[str]:
    """The explanation of one match as sentences in the reader's language."""
    if isinstance(explanation, dict):
        explanation = Explanation.from_dict(explanation)
    sep = _("、")
    lines = []
    if explanation.domains:
        lines.append(
            _("Same domains: %(domains)s", domains=sep.join(domain_label(d) for d in explanation.domains))
        )
    if explanation.capabilities:
        lines.append(
            _(
                "Capabilities that answer it: %(capabilities)s",
                capabilities=sep.join(explanation.capabilities),
            )
        )
    if explanation.terms:
        lines.append(_("Key terms in both: %(terms)s", terms=sep.join(explanation.terms)))
    if explanation.same_district:
        lines.append(_("Both in %(district)s", district=district_label(explanation.same_district)))
    if explanation.degraded:
        lines.append(_("Matched without the language model for now: only words, domains and district count."))
    elif not lines:
        lines.append(_("Similar in meaning, though it shares no domain or key term."))
    return lines


@dataclass(frozen=True)
class Recommendation:
    """One recommended card, its score and why."""

    card: Any
    score: float
    explanation: Explanation

    @property
    def reasons(self) -> list[str]:
        return reasons(self.explanation)
