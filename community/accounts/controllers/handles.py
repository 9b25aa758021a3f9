"""The mention picker: members found by handle or name. The composer asks for the fragment (htmx) as one
types; without JavaScript the same address is a page with a search form, opened beside the composer."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Template

from community.accounts.controllers.deps import DEPENDENCIES, HANDLE_LOOKUPS_PER_MINUTE, Handles
from community.accounts.guards import Member, requires_login
from community.accounts.models import HANDLE_MAX
from community.web import is_htmx, limit_per_account, render


class HandleController(Controller):
    path = "/members"
    dependencies = DEPENDENCIES
    guards = [requires_login]
    include_in_schema = False

    @get(
        "/handles",
        name="member-handles",
        middleware=limit_per_account("handles", HANDLE_LOOKUPS_PER_MINUTE, reads=True),
    )
    async def find(
        self,
        request: Member,
        handles: Handles,
        q: Annotated[str, QueryParameter(max_length=HANDLE_MAX + 1)] = "",
    ) -> Template:
        matches = await handles.lookup(q)
        template = "accounts/_handles.html" if is_htmx(request) else "accounts/handles.html"
        return render(request, template, q=q, matches=matches)
