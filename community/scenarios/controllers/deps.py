"""What the scenario zone's handlers are given: its services, built per request on the request's session."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings
from community.scenarios.services.capabilities import CapabilityService
from community.scenarios.services.dashboard import DashboardService
from community.scenarios.services.interests import InterestService
from community.scenarios.services.scenarios import ScenarioService

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _response_days(request: Request[Any, Any, Any]) -> int:
    settings: Settings = request.app.state.settings
    return settings.interest_response_days


async def provide_scenarios(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> ScenarioService:
    return ScenarioService(db_session, response_days=_response_days(request))


async def provide_interests(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> InterestService:
    return InterestService(db_session, response_days=_response_days(request))


async def provide_capabilities(db_session: NamedDependency[AsyncSession]) -> CapabilityService:
    return CapabilityService(db_session)


async def provide_dashboard(db_session: NamedDependency[AsyncSession]) -> DashboardService:
    return DashboardService(db_session)


DEPENDENCIES = {
    "scenarios": Provide(provide_scenarios),
    "interests": Provide(provide_interests),
    "capabilities": Provide(provide_capabilities),
    "dashboard": Provide(provide_dashboard),
}


def field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: the last one wins, as in a browser
        value = value[-1] if value else ""
    return str(value)


def many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []
