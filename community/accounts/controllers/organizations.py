"""Organizations: the listing, public profiles, creating and editing, and the members page (invitations,
removing a member, leaving)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.accounts.controllers.deps import (
    DEPENDENCIES,
    Filters,
    Invitations,
    Memberships,
    Organizations,
    mail_failed,
    typed,
)
from community.accounts.guards import Member, requires_login
from community.accounts.inputs import OrganizationInput
from community.accounts.models import MemberRole, Organization
from community.accounts.services import MembershipService, OrganizationService
from community.config import Settings
from community.i18n import _
from community.notifications.email import Mailer, MailError
from community.vocabulary import district_choices, org_type_choices, org_type_label
from community.web import Form, Visitor, act, form_or_redirect, render

FORM_PAGE = "accounts/orgs/form.html"
MEMBERS_PAGE = "accounts/orgs/members.html"


def _form_context(mode: str, org: Organization | None = None) -> dict[str, Any]:
    return {"mode": mode, "org": org, "org_types": org_type_choices(), "districts": district_choices()}


async def _members_context(
    request: Member, slug: str, organizations: OrganizationService, memberships: MembershipService
) -> dict[str, Any]:
    # The organization is read again: a refused write may have rolled the session back.
    page = await memberships.page(request.user, await organizations.by_slug(slug))
    return {"org": page.org, "access": page.access, "members": page.members, "invitations": page.invitations}


class OrganizationController(Controller):
    path = "/orgs"
    dependencies = DEPENDENCIES

    @get("/", name="organizations")
    async def index(self, request: Visitor, organizations: Organizations, filters: Filters) -> Template:
        return render(
            request,
            "accounts/orgs/list.html",
            listing=await organizations.page(filters),
            filters=filters,
            org_types=org_type_choices(),
            org_type_label=org_type_label,
        )

    @get("/new", guards=[requires_login], name="organization_new")
    async def new_form(self, request: Visitor) -> Template:
        return render(request, FORM_PAGE, **_form_context("new"))

    @post("/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, organizations: Organizations) -> Template | Redirect:
        org_input = OrganizationInput.from_form(data)
        return await form_or_redirect(
            request,
            lambda: organizations.create(request.user, org_input),
            template=FORM_PAGE,
            form=org_input.as_form(),
            done=_("The organization is created. Invite your colleagues from its members page."),
            redirect_to=lambda saved: f"/orgs/{saved.slug}",
            context=_form_context("new"),
        )

    @get("/{slug:str}", name="organization")
    async def show(self, request: Visitor, slug: FromPath[str], organizations: Organizations) -> Template:
        org = await organizations.by_slug(slug)
        access = await organizations.access(request.scope.get("user"), org)
        return render(
            request, "accounts/orgs/detail.html", org=org, access=access, org_type_label=org_type_label
        )

    @get("/{slug:str}/edit", guards=[requires_login])
    async def edit_form(self, request: Member, slug: FromPath[str], organizations: Organizations) -> Template:
        org = await organizations.by_slug(slug)
        await organizations.require_owner(request.user, org)
        form = OrganizationInput.of(org).as_form()
        return render(request, FORM_PAGE, form=form, **_form_context("edit", org))

    @post("/{slug:str}/edit", guards=[requires_login])
    async def update(
        self, request: Member, slug: FromPath[str], data: Form, organizations: Organizations
    ) -> Template | Redirect:
        org = await organizations.by_slug(slug)
        org_input = OrganizationInput.from_form(data)

        async def context() -> dict[str, Any]:
            # Read again: a refused write may have rolled the session back.
            return _form_context("edit", await organizations.by_slug(slug))

        return await form_or_redirect(
            request,
            lambda: organizations.update(request.user, org, org_input),
            template=FORM_PAGE,
            form=org_input.as_form(),
            done=_("Saved."),
            redirect_to=lambda saved: f"/orgs/{saved.slug}",
            context=context,
        )

    @get("/{slug:str}/members", guards=[requires_login], name="organization_members")
    async def members(
        self, request: Member, slug: FromPath[str], organizations: Organizations, memberships: Memberships
    ) -> Template:
        return render(
            request, MEMBERS_PAGE, **await _members_context(request, slug, organizations, memberships)
        )

    @post("/{slug:str}/invitations", guards=[requires_login])
    async def invite(
        self,
        request: Member,
        slug: FromPath[str],
        data: Form,
        organizations: Organizations,
        memberships: Memberships,
        invitations: Invitations,
        mailer: NamedDependency[Mailer],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        org = await organizations.by_slug(slug)
        form = typed(data, "email", "role")
        form["role"] = form["role"] or MemberRole.MEMBER.value
        try:
            return await form_or_redirect(
                request,
                lambda: invitations.invite(request.user, org, form["email"], form["role"], mailer, settings),
                template=MEMBERS_PAGE,
                form=form,
                done=_("Invitation sent to %(email)s.", email=form["email"]),
                redirect_to=f"/orgs/{org.slug}/members",
                context=lambda: _members_context(request, slug, organizations, memberships),
            )
        except MailError:
            context = await _members_context(request, slug, organizations, memberships)
            return mail_failed(request, MEMBERS_PAGE, form=form, **context)

    @post("/{slug:str}/invitations/{invitation_id:uuid}/revoke", guards=[requires_login])
    async def revoke(
        self,
        request: Member,
        slug: FromPath[str],
        invitation_id: FromPath[UUID],
        organizations: Organizations,
        invitations: Invitations,
    ) -> Redirect:
        org = await organizations.by_slug(slug)
        return await act(
            request,
            lambda: invitations.revoke(request.user, org, invitation_id),
            done=_("Invitation withdrawn."),
            redirect_to=f"/orgs/{org.slug}/members",
        )

    @post("/{slug:str}/members/{user_id:uuid}/remove", guards=[requires_login])
    async def remove_member(
        self,
        request: Member,
        slug: FromPath[str],
        user_id: FromPath[UUID],
        organizations: Organizations,
        memberships: Memberships,
    ) -> Template | Redirect:
        org = await organizations.by_slug(slug)
        leaving = user_id == request.user.id
        return await form_or_redirect(
            request,
            lambda: memberships.remove(request.user, org, user_id),
            template=MEMBERS_PAGE,
            form={},
            done=_("You left %(org)s.", org=org.name) if leaving else _("Member removed."),
            redirect_to="/account" if leaving else f"/orgs/{org.slug}/members",
            context=lambda: _members_context(request, slug, organizations, memberships),
        )
