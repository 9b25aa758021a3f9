"""A member's own page: their organizations, their name, their password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, get, post
from litestar.response import Redirect, Template

from community.accounts.controllers.deps import DEPENDENCIES, Accounts, Organizations, typed
from community.accounts.guards import Member, requires_login
from community.accounts.services import OrganizationService
from community.accounts.sessions import log_in
from community.i18n import _
from community.vocabulary import org_type_label
from community.web import Form, field, form_or_redirect, render

ACCOUNT_PAGE = "accounts/account.html"


async def _account_context(request: Member, organizations: OrganizationService) -> dict[str, Any]:
    return {
        "memberships": await organizations.organizations_of(request.user),
        "org_type_label": org_type_label,
    }


async def _account_form(
    request: Member,
    save: Callable[[], Awaitable[Any]],
    organizations: OrganizationService,
    *,
    form: dict[str, str],
    done: str,
) -> Template | Redirect:
    """The account page's forms: refused, the page again with the errors; saved, back to it."""
    return await form_or_redirect(
        request,
        save,
        template=ACCOUNT_PAGE,
        form=form,
        done=done,
        redirect_to="/account",
        context=lambda: _account_context(request, organizations),
    )


def _profile_form(request: Member) -> dict[str, str]:
    return {"display_name": request.user.display_name, "handle": request.user.handle}


class AccountController(Controller):
    path = "/account"
    dependencies = DEPENDENCIES
    guards = [requires_login]

    @get("/", name="account")
    async def show(self, request: Member, organizations: Organizations) -> Template:
        context = await _account_context(request, organizations)
        return render(request, ACCOUNT_PAGE, form=_profile_form(request), **context)

    @post("/profile")
    async def update_profile(
        self, request: Member, data: Form, accounts: Accounts, organizations: Organizations
    ) -> Template | Redirect:
        form = typed(data, "display_name", "handle")
        return await _account_form(
            request,
            # A form without the field (an older page) keeps the handle.
            lambda: accounts.update_profile(
                request.user.id, form["display_name"], form["handle"] if "handle" in data else None
            ),
            organizations,
            form=form,
            done=_("Saved."),
        )

    @post("/password")
    async def change_password(
        self, request: Member, data: Form, accounts: Accounts, organizations: Organizations
    ) -> Template | Redirect:
        async def change() -> None:
            user = await accounts.change_password(
                request.user.id, field(data, "current_password"), field(data, "new_password")
            )
            # Every other session of this member ends (the epoch moved on); this one goes on under a new id.
            log_in(request, user)

        form = _profile_form(request)
        return await _account_form(
            request, change, organizations, form=form, done=_("Your password is changed.")
        )
