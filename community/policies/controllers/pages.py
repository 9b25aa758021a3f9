"""Policy pages: the public list with filters, one policy with each of the reader's organizations'
verdict, 为我匹配 (every organization of the member: what it qualifies for and what it misses), and the
owners' page for the organization's policy facts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.accounts.guards import Member, requires_login
from community.i18n import _
from community.kernel.clock import today
from community.kernel.money import format_yuan
from community.markup import markdown_html
from community.policies.controllers.deps import DEPENDENCIES, Facts, Filters, Policies
from community.policies.inputs import FactsInput, facts_form
from community.policies.labels import (
    ACTIVITIES,
    BENEFIT_KINDS,
    activity_label,
    choices,
    label,
    stage_choices,
    stage_label,
)
from community.policies.models import PolicyStatus
from community.policies.services.eligibility import Conditions, requirements
from community.policies.views import FactsView, benefits_of
from community.vocabulary import district_choices, domain_choices, org_type_choices, org_type_label
from community.web import Form, Visitor, filter_chips, form_of, form_or_redirect, render, shared_fragment

FACTS_PAGE = "policies/facts.html"


def _common() -> dict[str, Any]:
    return {
        "label": label,
        "format_yuan": format_yuan,
        "activity_label": activity_label,
        "stage_label": stage_label,
        "org_type_label": org_type_label,
        "PolicyStatus": PolicyStatus,
    }


def _facts_context(view: FactsView) -> dict[str, Any]:
    return {"view": view, "activities": choices(ACTIVITIES), "stages": stage_choices(), **_common()}


class PolicyController(Controller):
    path = "/policies"
    dependencies = DEPENDENCIES

    @get("/", name="policies")
    async def index(self, request: Visitor, policies: Policies, filters: Filters) -> Template:
        async def public_part() -> dict[str, Any]:
            groups = [
                (_("Benefit"), "kind", choices(BENEFIT_KINDS)),
                (_("Organization type"), "org_type", org_type_choices()),
                (_("Domain"), "domain", domain_choices()),
                (_("District"), "district", district_choices()),
                (_("Issuing unit"), "unit", [(u, u) for u in await policies.issuing_units()]),
            ]
            return {
                "listing": await policies.list_public(filters),
                "filters": filters,
                "filter_groups": filter_chips(filters, "/policies", groups),
                "benefits_of": benefits_of,
                **_common(),
            }

        # Everyone's list: rendered once per interval or change, per language (web.fragments).
        key = f"/policies?{urlencode(filters.as_query())}&today={today().isoformat()}"
        shared = await shared_fragment(request, "policies/_list_shared.html", key, public_part)
        return render(request, "policies/list.html", shared=shared)

    @get("/for-me", name="policies-for-me", guards=[requires_login])
    async def for_me(self, request: Member, policies: Policies) -> Template:
        sections = await policies.for_member(request.user)
        return render(request, "policies/for_me.html", sections=sections, **_common())

    @get("/{slug:str}", name="policy")
    async def show(self, request: Visitor, slug: FromPath[str], policies: Policies) -> Template:
        policy, verdicts = await policies.read(slug, request.scope.get("user"))
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

    @post("/{slug:str}/opened", name="policy-opened", guards=[requires_login], status_code=204)
    async def opened(self, request: Member, slug: FromPath[str], policies: Policies) -> None:
        """The page, once shown to a member, says so (htmx, with the CSRF header): the reach figures count
        the policy as opened by the member's organizations that were told. A GET of the page records
        nothing."""
        await policies.record_open(slug, request.user)

    @get("/facts/{org_slug:str}", name="policy-facts", guards=[requires_login])
    async def facts_form(self, request: Member, org_slug: FromPath[str], facts: Facts) -> Template:
        view = await facts.view(request.user, await facts.organizations.by_slug(org_slug))
        return render(request, FACTS_PAGE, form=facts_form(view.saved), errors={}, **_facts_context(view))

    @post("/facts/{org_slug:str}", guards=[requires_login])
    async def save_facts(
        self, request: Member, org_slug: FromPath[str], data: Form, facts: Facts
    ) -> Response[Any]:
        org = await facts.organizations.by_slug(org_slug)

        async def context() -> dict[str, Any]:
            return _facts_context(await facts.view(request.user, org))

        return await form_or_redirect(
            request,
            lambda: facts.save(request.user, org, FactsInput.from_form(data)),
            template=FACTS_PAGE,
            form=form_of(data, "activities"),
            done=_("Saved. The policies you qualify for are updated."),
            redirect_to=f"/policies/for-me#org-{org.slug}",
            context=context,
        )
