"""The JSON API of accounts: who is signed in, and the organizations' public profiles."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from community.accounts.controllers.deps import (
    API_DEPENDENCIES,
    HANDLE_LOOKUPS_PER_MINUTE,
    Filters,
    Handles,
    Organizations,
)
from community.accounts.guards import Member, requires_login
from community.accounts.models import HANDLE_MAX
from community.accounts.schemas import HandleOut, MeOut, OrganizationOut
from community.web import limit_per_account


class AccountsApiController(Controller):
    path = "/api/v1"
    dependencies = API_DEPENDENCIES
    tags = ["accounts"]

    @get("/me", guards=[requires_login])
    async def me(self, request: Member, organizations: Organizations) -> MeOut:
        memberships = await organizations.organizations_of(request.user)
        return MeOut.from_user(request.user, memberships)

    @get(
        "/members/handles",
        guards=[requires_login],
        middleware=limit_per_account("handles", HANDLE_LOOKUPS_PER_MINUTE, reads=True),
        summary="Active members whose handle starts with q, or whose name contains it (for @mentions)",
    )
    async def handles(
        self, handles: Handles, q: Annotated[str, QueryParameter(max_length=HANDLE_MAX + 1)] = ""
    ) -> list[HandleOut]:
        return [HandleOut(m.handle, m.display_name) for m in await handles.lookup(q)]

    @get("/organizations")
    async def organizations(
        self,
        organizations: Organizations,
        filters: Filters,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 30,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[OrganizationOut]:
        orgs = await organizations.list_organizations(filters.org_type, limit=limit, offset=offset)
        return [OrganizationOut.from_model(o) for o in orgs]

    @get("/organizations/{slug:str}")
    async def organization(self, slug: FromPath[str], organizations: Organizations) -> OrganizationOut:
        return OrganizationOut.from_model(await organizations.by_slug(slug))
