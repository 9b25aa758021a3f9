"""The JSON API of accounts: who is signed in, and the organizations' public profiles."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from community.accounts.controllers.deps import API_DEPENDENCIES, Filters, Organizations
from community.accounts.guards import Member, requires_login
from community.accounts.schemas import MeOut, OrganizationOut


class AccountsApiController(Controller):
    path = "/api/v1"
    dependencies = API_DEPENDENCIES
    tags = ["accounts"]

    @get("/me", guards=[requires_login])
    async def me(self, request: Member, organizations: Organizations) -> MeOut:
        memberships = await organizations.organizations_of(request.user)
        return MeOut.from_user(request.user, memberships)

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
