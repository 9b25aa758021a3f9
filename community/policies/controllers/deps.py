"""What the policy zone's handlers are given: its services on the request's session, and the public list's
filters read once from the query string (the page and the API take the same ones)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from community.policies.inputs import UNIT_MAX, PolicyFilters
from community.policies.services.facts import FactsService
from community.policies.services.policies import PolicyService
from community.web import services


def policy_filters(
    kind: Annotated[str | None, QueryParameter()] = None,
    domain: Annotated[str | None, QueryParameter()] = None,
    district: Annotated[str | None, QueryParameter()] = None,
    org_type: Annotated[str | None, QueryParameter()] = None,
    unit: Annotated[str | None, QueryParameter(max_length=UNIT_MAX)] = None,
    page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
) -> PolicyFilters:
    return PolicyFilters.clean(
        kind=kind, domain=domain, district=district, org_type=org_type, unit=unit, page=page
    )


DEPENDENCIES = services(policies=PolicyService, facts=FactsService) | {
    "filters": Provide(policy_filters, sync_to_thread=False)
}

# Handler parameter types: the zone's services as its handlers receive them.
Facts = NamedDependency[FactsService]
Filters = NamedDependency[PolicyFilters]
Policies = NamedDependency[PolicyService]
