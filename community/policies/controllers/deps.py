"""What the policy zone's handlers are given: its services on the request's session and form helpers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from community.policies.services.facts import FactsService
from community.policies.services.policies import PolicyService

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
LIST_FIELDS = ("org_types", "domains", "districts", "stages", "activities")


async def provide_policies(db_session: NamedDependency[AsyncSession]) -> PolicyService:
    return PolicyService(db_session)


async def provide_facts(db_session: NamedDependency[AsyncSession]) -> FactsService:
    return FactsService(db_session)


DEPENDENCIES = {
    "policies": Provide(provide_policies),
    "facts": Provide(provide_facts),
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


def form_of(data: dict[str, Any], *lists: str) -> dict[str, Any]:
    """What was sent, to show the form again with every field kept."""
    form: dict[str, Any] = {
        key: field(data, key) for key in data if key not in lists and key != "_csrf_token"
    }
    for name in lists:
        form[name] = many(data, name)
    return form
