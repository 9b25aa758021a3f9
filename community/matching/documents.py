"""What the matcher reads of scenarios and capability profiles: documents for the ranker and the text that is
embedded. Only what a visitor may read goes in: a match must never reveal confidential details."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, ColumnElement, Uuid, any_, bindparam

from community.matching.ranker import Doc
from community.scenarios.models import CapabilityProfile, Scenario, ScenarioStatus

OPEN_STATUSES = (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)


def any_owner_id(ids: Iterable[str]) -> ColumnElement[Any]:
    """``= ANY(:ids)`` with the ids as one uuid[] parameter: ``IN (...)`` binds one parameter per id, and
    PostgreSQL's protocol stops at 32,767 of them (a profile index past that size would fail)."""
    return any_(bindparam("owner_ids", [UUID(i) for i in ids], type_=ARRAY(Uuid())))


def scenario_doc(scenario: Scenario) -> Doc:
    """Only what a visitor may read (title, abstract, domains): the details are confidential, and a match's
    key terms must never reveal them."""
    return Doc(
        id=str(scenario.id),
        title=scenario.title,
        text=scenario.abstract,
        domains=tuple(scenario.domains),
        district=scenario.district,
    )


def profile_doc(profile: CapabilityProfile) -> Doc:
    technologies = "；".join(item.technology for item in profile.items)
    return Doc(
        id=str(profile.id),
        title="",
        text=f"{profile.summary}\n{technologies}\n{profile.cases}",
        domains=tuple(profile.domains),
        district=profile.district,
        capabilities=tuple((item.domain, item.technology) for item in profile.items),
    )


def embedding_text(doc: Doc) -> str:
    return "\n".join(part for part in (doc.title, doc.text, " ".join(doc.domains)) if part)
