"""What the matcher reads of scenarios and capability profiles: documents for the ranker and the text that is
embedded. Only what a visitor may read goes in: a match must never reveal confidential details."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    return profile_doc_of(
        profile.id,
        profile.summary,
        profile.cases,
        profile.district,
        profile.domains,
        [(item.domain, item.technology) for item in profile.items],
    )


def profile_doc_of(
    profile_id: UUID,
    summary: str,
    cases: str,
    district: str,
    domains: Sequence[str],
    items: Sequence[tuple[str, str]],
) -> Doc:
    """A profile's document from its columns and its items' (domain, technology) in order: the same whether
    read as an ORM object (a page) or as plain rows (an index of every profile)."""
    technologies = "；".join(technology for _domain, technology in items)
    return Doc(
        id=str(profile_id),
        title="",
        text=f"{summary}\n{technologies}\n{cases}",
        domains=tuple(domains),
        district=district,
        capabilities=tuple(items),
    )


def embedding_text(doc: Doc) -> str:
    return "\n".join(part for part in (doc.title, doc.text, " ".join(doc.domains)) if part)
