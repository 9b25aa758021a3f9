"""The technical capability list: verified OPC profiles, one profile's page, and its owner's form."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import Organization, OrgType, User
from community.accounts.services import OrganizationService
from community.errors import Forbidden, FormError
from community.i18n import _
from community.markup import markdown_html
from community.scenarios.controllers.deps import DEPENDENCIES, Form, field, filter_chips
from community.scenarios.labels import choices, label
from community.scenarios.models import CapabilityProfile, Maturity
from community.scenarios.services.capabilities import (
    ITEMS_MAX,
    CapabilityFilters,
    CapabilityInput,
    CapabilityService,
    capability_url,
)
from community.vocabulary import DISTRICTS, DOMAINS
from community.web import render


def _form_of(profile: CapabilityProfile | None) -> dict[str, Any]:
    if profile is None:
        return {"team_size": "1"}
    form: dict[str, Any] = {
        "summary": profile.summary,
        "cases": profile.cases,
        "team_size": str(profile.team_size),
        "district": profile.district,
    }
    for index, item in enumerate(profile.items):
        form[f"item_domain_{index}"] = item.domain
        form[f"item_technology_{index}"] = item.technology
        form[f"item_maturity_{index}"] = item.maturity.value
    return form


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
        self,
        request: Request[Any, Any, Any],
        capabilities: NamedDependency[CapabilityService],
        domain: Annotated[str | None, QueryParameter()] = None,
        district: Annotated[str | None, QueryParameter()] = None,
        maturity: Annotated[str | None, QueryParameter()] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = CapabilityFilters(
            domain=domain if domain in DOMAINS else None,
            district=district if district in DISTRICTS else None,
            maturity=maturity if maturity in {m.value for m in Maturity} else None,
            page=page,
        )
        listing = await capabilities.list_verified(filters)
        groups = filter_chips(
            filters,
            "/capabilities",
            [
                (_("Domain"), "domain", [(d, d) for d in DOMAINS]),
                (_("District"), "district", [(d, d) for d in DISTRICTS]),
                (_("Maturity"), "maturity", choices(Maturity)),
            ],
        )
        return render(
            request,
            "scenarios/capabilities/list.html",
            listing=listing,
            filters=filters,
            filter_groups=groups,
            **_context(),
        )

    @get("/{slug:str}", name="capability")
    async def show(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        capabilities: NamedDependency[CapabilityService],
    ) -> Template:
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

    async def _own_opc(
        self, request: Request[User, Any, Any], slug: str, db_org: OrganizationService
    ) -> Organization:
        org = await db_org.by_slug(slug)
        if org.org_type is not OrgType.OPC:
            raise NotFoundException
        if await db_org.role_of(request.user, org) is None and not request.user.is_admin:
            raise PermissionDeniedException
        return org

    @get("/{slug:str}/edit", name="capability-edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        capabilities: NamedDependency[CapabilityService],
    ) -> Template:
        org = await self._own_opc(request, slug, capabilities.organizations)
        profile = await capabilities.get_by_org(org.id)
        return render(
            request,
            "scenarios/capabilities/form.html",
            org=org,
            profile=profile,
            form=_form_of(profile),
            **_context(),
        )

    @post("/{slug:str}/edit", guards=[requires_login])
    async def save(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        data: Form,
        capabilities: NamedDependency[CapabilityService],
    ) -> Response[Any]:
        org = await self._own_opc(request, slug, capabilities.organizations)
        submit = field(data, "action") == "submit"
        try:
            profile = await capabilities.save(
                request.user, org.id, CapabilityInput.from_form(data), submit=submit
            )
        except FormError as exc:
            profile_now = await capabilities.get_by_org(org.id)
            form = {key: field(data, key) for key in data if key != "_csrf_token"}
            return render(
                request,
                "scenarios/capabilities/form.html",
                400,
                org=org,
                profile=profile_now,
                form=form,
                errors=exc.errors,
                **_context(),
            )
        except Forbidden as exc:
            raise PermissionDeniedException from exc
        if profile.status.value == "verified":
            flash(
                request,
                _("Saved. It stays in the capability list; an admin will look at the changes."),
                "success",
            )
        elif submit:
            flash(
                request,
                _("Submitted. An admin will verify it before it enters the capability list."),
                "success",
            )
        else:
            flash(request, _("Saved as a draft."), "success")
        return Redirect(capability_url(org.slug))
