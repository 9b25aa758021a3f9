"""The technical capability list: verified OPC profiles, one profile's page, and its owner's form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.accounts.guards import Member, requires_login
from community.i18n import _
from community.markup import markdown_html
from community.scenarios.controllers.deps import DEPENDENCIES, Capabilities, CapabilityListFilters
from community.scenarios.documents import capability_url
from community.scenarios.inputs import ITEMS_MAX, CapabilityInput
from community.scenarios.labels import choices, label
from community.scenarios.models import Maturity, ProfileStatus
from community.vocabulary import DISTRICTS, DOMAINS, district_choices, domain_choices
from community.web import (
    Form,
    Visitor,
    field,
    filter_chips,
    form_of,
    form_or_redirect,
    render,
    shared_fragment,
)


def _context() -> dict[str, Any]:
    return {
        "domains": DOMAINS,
        "districts": DISTRICTS,
        "maturities": choices(Maturity),
        "label": label,
        "items_max": ITEMS_MAX,
    }


class CapabilityController(Controller):
    path = "/capabilities"
    dependencies = DEPENDENCIES

    @get("/", name="capabilities")
    async def index(
        self, request: Visitor, capabilities: Capabilities, capability_filters: CapabilityListFilters
    ) -> Template:
        filters = capability_filters

        async def public_part() -> dict[str, Any]:
            groups = filter_chips(
                filters,
                "/capabilities",
                [
                    (_("Domain"), "domain", domain_choices()),
                    (_("District"), "district", district_choices()),
                    (_("Maturity"), "maturity", choices(Maturity)),
                ],
            )
            listing = await capabilities.list_verified(filters)
            return {"listing": listing, "filters": filters, "filter_groups": groups, **_context()}

        # Everyone's list: rendered once per interval or change, per language (web.fragments).
        key = f"/capabilities?{urlencode(filters.as_query())}"
        shared = await shared_fragment(request, "scenarios/capabilities/_list_shared.html", key, public_part)
        return render(request, "scenarios/capabilities/list.html", shared=shared)

    @get("/{slug:str}", name="capability")
    async def show(self, request: Visitor, slug: FromPath[str], capabilities: Capabilities) -> Template:
        org, profile, is_member = await capabilities.public_by_slug(request.scope.get("user"), slug)
        return render(
            request,
            "scenarios/capabilities/detail.html",
            org=org,
            profile=profile,
            is_member=is_member,
            cases_html=markdown_html(profile.cases),
            **_context(),
        )

    @get("/{slug:str}/edit", name="capability-edit", guards=[requires_login])
    async def edit_form(self, request: Member, slug: FromPath[str], capabilities: Capabilities) -> Template:
        org = await capabilities.own_opc(request.user, slug)
        profile = await capabilities.get_by_org(org.id)
        return render(
            request,
            "scenarios/capabilities/form.html",
            org=org,
            profile=profile,
            form=CapabilityInput.form_of(profile),
            **_context(),
        )

    @post("/{slug:str}/edit", guards=[requires_login])
    async def save(
        self, request: Member, slug: FromPath[str], data: Form, capabilities: Capabilities
    ) -> Response[Any]:
        org = await capabilities.own_opc(request.user, slug)
        profile = await capabilities.get_by_org(org.id)
        submit = field(data, "action") == "submit"
        if profile is not None and profile.status is ProfileStatus.VERIFIED:
            done = _("Saved. It stays in the capability list; an admin will look at the changes.")
        elif submit:
            done = _("Submitted. An admin will verify it before it enters the capability list.")
        else:
            done = _("Saved as a draft.")
        return await form_or_redirect(
            request,
            lambda: capabilities.save(request.user, org.id, CapabilityInput.from_form(data), submit=submit),
            template="scenarios/capabilities/form.html",
            form=form_of(data),
            done=done,
            redirect_to=capability_url(org.slug),
            context={"org": org, "profile": profile, **_context()},
        )
