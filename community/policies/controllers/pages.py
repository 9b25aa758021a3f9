"""Policy pages: the public list with filters, one policy with each of the reader's organizations'
verdict, 为我匹配 (every organization of the member: what it qualifies for and what it misses), and the
owners' page for the organization's policy facts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import MemberRole, User
from community.errors import FormError
from community.i18n import _
from community.markup import markdown_html
from community.policies.controllers.deps import DEPENDENCIES, Form, form_of
from community.policies.labels import (
    ACTIVITIES,
    BENEFIT_KINDS,
    activity_label,
    choices,
    format_yuan,
    label,
    stage_choices,
    stage_label,
)
from community.policies.models import PolicyStatus
from community.policies.services.eligibility import Conditions, requirements
from community.policies.services.facts import FactsService, facts_input
from community.policies.services.policies import PolicyFilters, PolicyService, benefits_of
from community.scenarios.controllers.deps import filter_chips
from community.vocabulary import DISTRICTS, DOMAINS, org_type_choices, org_type_label
from community.web import render


def _common() -> dict[str, Any]:
    return {
        "label": label,
        "format_yuan": format_yuan,
        "activity_label": activity_label,
        "stage_label": stage_label,
        "org_type_label": org_type_label,
        "PolicyStatus": PolicyStatus,
    }


class PolicyController(Controller):
    path = "/policies"
    dependencies = DEPENDENCIES

    @get("/", name="policies")
    async def index(
        self,
        request: Request[Any, Any, Any],
        policies: NamedDependency[PolicyService],
        kind: Annotated[str | None, QueryParameter()] = None,
        domain: Annotated[str | None, QueryParameter()] = None,
        district: Annotated[str | None, QueryParameter()] = None,
        org_type: Annotated[str | None, QueryParameter()] = None,
        unit: Annotated[str | None, QueryParameter(max_length=200)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = PolicyFilters.clean(
            kind=kind, domain=domain, district=district, org_type=org_type, unit=unit, page=page
        )
        listing = await policies.list_public(filters)
        units = await policies.issuing_units()
        groups = [
            (_("Benefit"), "kind", choices(BENEFIT_KINDS)),
            (_("Organization type"), "org_type", org_type_choices()),
            (_("Domain"), "domain", [(d, d) for d in DOMAINS]),
            (_("District"), "district", [(d, d) for d in DISTRICTS]),
            (_("Issuing unit"), "unit", [(u, u) for u in units]),
        ]
        return render(
            request,
            "policies/list.html",
            listing=listing,
            filters=filters,
            filter_groups=filter_chips(filters, "/policies", groups),
            benefits_of=benefits_of,
            **_common(),
        )

    @get("/for-me", name="policies-for-me", guards=[requires_login])
    async def for_me(
        self, request: Request[User, Any, Any], policies: NamedDependency[PolicyService]
    ) -> Template:
        sections = []
        for org, role in await policies.organizations.organizations_of(request.user):
            results = await policies.check_organization(org)
            sections.append(
                {
                    "org": org,
                    "is_owner": role is MemberRole.OWNER or request.user.is_admin,
                    "qualifying": [(card, v) for card, v in results if v.qualifies],
                    "others": [(card, v) for card, v in results if not v.qualifies],
                }
            )
        return render(request, "policies/for_me.html", sections=sections, **_common())

    @get("/{slug:str}", name="policy")
    async def show(
        self, request: Request[Any, Any, Any], slug: FromPath[str], policies: NamedDependency[PolicyService]
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        policy = await policies.by_slug(slug, viewer)
        verdicts = []
        if viewer is not None:
            verdicts = await policies.verdicts_for(viewer, policy)
            if policy.status is PolicyStatus.PUBLISHED:
                await policies.mark_opened(viewer, policy)
        return render(
            request,
            "policies/detail.html",
            policy=policy,
            benefits=benefits_of(policy),
            summary_html=markdown_html(policy.summary),
            how_html=markdown_html(policy.how_to_apply),
            verdicts=verdicts,
            requirements=requirements(Conditions.from_json(policy.conditions)),
            **_common(),
        )

    @get("/facts/{org_slug:str}", name="policy-facts", guards=[requires_login])
    async def facts_form(
        self, request: Request[User, Any, Any], org_slug: FromPath[str], facts: NamedDependency[FactsService]
    ) -> Template:
        org = await facts.organizations.by_slug(org_slug)
        role = await facts.organizations.require_member(request.user, org)
        view = await facts.view(org)
        can_edit = role is MemberRole.OWNER or request.user.is_admin
        return self._facts_page(request, facts, view, FactsService.form_of(view.saved), {}, 200, can_edit)

    def _facts_page(
        self,
        request: Request[User, Any, Any],
        facts: FactsService,
        view: Any,
        form: dict[str, Any],
        errors: dict[str, str],
        status: int,
        can_edit: bool = True,
    ) -> Template:
        return render(
            request,
            "policies/facts.html",
            status,
            view=view,
            form=form,
            errors=errors,
            can_edit=can_edit,
            activities=choices(ACTIVITIES),
            stages=stage_choices(),
            **_common(),
        )

    @post("/facts/{org_slug:str}", guards=[requires_login])
    async def save_facts(
        self,
        request: Request[User, Any, Any],
        org_slug: FromPath[str],
        data: Form,
        facts: NamedDependency[FactsService],
    ) -> Response[Any]:
        org = await facts.organizations.by_slug(org_slug)
        try:
            await facts.save(request.user, org, facts_input(data))
        except FormError as exc:
            view = await facts.view(org)
            return self._facts_page(request, facts, view, form_of(data, "activities"), exc.errors, 400)
        flash(request, _("Saved. The policies you qualify for are updated."), "success")
        return Redirect(f"/policies/for-me#org-{org.slug}")
