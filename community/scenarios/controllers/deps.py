"""What the scenario zone's handlers are given: its services, built per request on the request's session,
and the filters of the two public lists read from the query string; and the shape of a route that runs
one step on a scenario."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from litestar import post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from litestar.types import Guard

from community.accounts.guards import Member
from community.accounts.models import User
from community.i18n import _
from community.scenarios.documents import scenario_url
from community.scenarios.inputs import CapabilityFilters, ScenarioFilters
from community.scenarios.services.capabilities import CapabilityService
from community.scenarios.services.dashboard import DashboardService
from community.scenarios.services.imports import ImportService
from community.scenarios.services.interests import InterestService
from community.scenarios.services.lists import ListService
from community.scenarios.services.scenarios import ScenarioService
from community.web import Form, act, field, many, provide_service_with_settings, services

# Form, field and many were defined here before the web kit had them; other modules may still import them.
__all__ = ("DEPENDENCIES", "Form", "field", "many", "scenario_step")

Code = Annotated[str | None, QueryParameter()]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]


async def scenario_filters(
    domain: Code = None,
    district: Code = None,
    kind: Code = None,
    scale: Code = None,
    status: Code = None,
    budget: Code = None,
    demonstration: Annotated[bool, QueryParameter()] = False,
    sort: Annotated[str, QueryParameter()] = "newest",
    page: PageNumber = 1,
) -> ScenarioFilters:
    return ScenarioFilters.clean(
        domain=domain,
        district=district,
        kind=kind,
        scale=scale,
        status=status,
        budget=budget,
        demonstration=demonstration,
        sort=sort,
        page=page,
    )


async def capability_filters(
    domain: Code = None, district: Code = None, maturity: Code = None, page: PageNumber = 1
) -> CapabilityFilters:
    return CapabilityFilters.clean(domain=domain, district=district, maturity=maturity, page=page)


DEPENDENCIES = {
    "scenarios": provide_service_with_settings(
        lambda db, settings: ScenarioService(db, response_days=settings.interest_response_days)
    ),
    "interests": provide_service_with_settings(
        lambda db, settings: InterestService(db, response_days=settings.interest_response_days)
    ),
    **services(capabilities=CapabilityService, dashboard=DashboardService),
    "scenario_filters": Provide(scenario_filters),
    "capability_filters": Provide(capability_filters),
}


# Handler parameter types: the zone's services as its handlers receive them, and the two lists' filters.
Capabilities = NamedDependency[CapabilityService]
CapabilityListFilters = NamedDependency[CapabilityFilters]
Dashboard = NamedDependency[DashboardService]
Imports = NamedDependency[ImportService]
Interests = NamedDependency[InterestService]
ListFilters = NamedDependency[ScenarioFilters]
Lists = NamedDependency[ListService]
Scenarios = NamedDependency[ScenarioService]


# One step on a scenario: (its service, the user, the scenario's id, the form sent) -> awaited.
ScenarioStep = Callable[[ScenarioService, User, UUID, dict[str, Any]], Awaitable[Any]]


def scenario_step(
    path: str,
    step: ScenarioStep,
    *,
    done: str | Callable[[dict[str, Any]], str],
    anchor: str = "",
    guards: list[Guard] | None = None,
) -> HTTPRouteHandler:
    """A POST route that runs ``step`` for the user on the scenario in ``path``, flashes ``done`` (marked
    with ``N_``, said in the reader's language; or made from the form) or why the step was refused, and
    goes back to the scenario's page (at ``anchor``)."""

    async def run_step(
        self: Any, request: Member, scenario_id: FromPath[UUID], data: Form, scenarios: Scenarios
    ) -> Redirect:
        message = done(data) if callable(done) else done
        return await act(
            request,
            lambda: step(scenarios, request.user, scenario_id, data),
            done=_(message) if message else "",
            redirect_to=scenario_url(scenario_id) + anchor,
        )

    # Named for the step (the path's last part), which names the route in the OpenAPI document.
    run_step.__name__ = run_step.__qualname__ = path.rstrip("/").rsplit("/", 1)[-1]
    return post(path, guards=guards)(run_step)
