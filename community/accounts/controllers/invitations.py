"""Following an invitation's link: who sent it, to which organization, and joining."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.controllers.deps import DEPENDENCIES, Invitations
from community.accounts.guards import Member, requires_login
from community.accounts.models import Organization
from community.accounts.services import InvitationService
from community.i18n import _
from community.vocabulary import org_type_label
from community.web import Visitor, form_or_redirect, render

INVITATION_PAGE = "accounts/orgs/invitation.html"


async def _invitation_context(request: Visitor, token: str, invitations: InvitationService) -> dict[str, Any]:
    view = await invitations.view(token, request.scope.get("user"))
    return {
        "invitation": view.invitation,
        "org": view.org,
        "problem": view.problem,
        "token": token,
        "org_type_label": org_type_label,
    }


class InvitationController(Controller):
    path = "/invitations"
    dependencies = DEPENDENCIES

    @get("/{token:str}", name="invitation")
    async def show(self, request: Visitor, token: FromPath[str], invitations: Invitations) -> Template:
        return render(request, INVITATION_PAGE, **await _invitation_context(request, token, invitations))

    @post("/{token:str}", guards=[requires_login])
    async def accept(
        self, request: Member, token: FromPath[str], invitations: Invitations
    ) -> Template | Redirect:
        async def join() -> Organization:
            org = await invitations.accept(request.user, token)
            flash(request, _("Welcome to %(org)s.", org=org.name), "success")
            return org

        return await form_or_redirect(
            request,
            join,
            template=INVITATION_PAGE,
            form={},
            done=None,
            redirect_to=lambda org: f"/orgs/{org.slug}/members",
            context=lambda: _invitation_context(request, token, invitations),
        )
