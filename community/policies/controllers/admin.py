"""The admins' side of policies: write, publish, change and withdraw them, and see for each how many
organizations qualify now, how many were told and how many opened it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin
from community.i18n import N_, _
from community.policies.controllers.deps import DEPENDENCIES, Policies
from community.policies.inputs import BENEFITS_MAX, CONDITION_LISTS, PolicyInput, new_policy_form, policy_form
from community.policies.labels import ACTIVITIES, BENEFIT_KINDS, choices, label, stage_choices
from community.policies.models import Policy, PolicyStatus
from community.policies.views import reach_chart
from community.vocabulary import DISTRICTS, DOMAINS, org_type_choices
from community.web import Form, act, form_of, form_or_redirect, render

FORM_PAGE = "policies/admin/form.html"
# Translated when shown, in the reader's language.
PUBLISHED = N_("Published. The organizations that qualify are being told.")


def _form_context(**values: Any) -> dict[str, Any]:
    return {
        "kinds": choices(BENEFIT_KINDS),
        "activities": choices(ACTIVITIES),
        "stages": stage_choices(),
        "org_types": org_type_choices(),
        "domains": DOMAINS,
        "districts": DISTRICTS,
        "benefits_max": BENEFITS_MAX,
        **values,
    }


def _admin_url(policy: Policy | UUID) -> str:
    return f"/admin/policies/{policy.id if isinstance(policy, Policy) else policy}"


class PolicyAdminController(Controller):
    path = "/admin/policies"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="admin-policies")
    async def index(self, request: Member, policies: Policies) -> Template:
        listed = await policies.list_all()
        stats = await policies.stats_of(listed)
        rows = [(policy, stats[policy.id]) for policy in listed]
        return render(
            request,
            "policies/admin/index.html",
            rows=rows,
            reach=reach_chart(rows),
            label=label,
            PolicyStatus=PolicyStatus,
        )

    @get("/new", name="admin-policy-new")
    async def new_form(self, request: Member) -> Template:
        return render(request, FORM_PAGE, **_form_context(mode="new", form=new_policy_form()))

    @post("/new")
    async def create(self, request: Member, data: Form, policies: Policies) -> Response[Any]:
        publish = "publish" in data
        return await form_or_redirect(
            request,
            lambda: policies.create(request.user, PolicyInput.from_form(data), publish=publish),
            template=FORM_PAGE,
            form=form_of(data, *CONDITION_LISTS),
            done=_(PUBLISHED) if publish else _("Draft saved. Publish it when it is ready."),
            redirect_to=_admin_url,
            context=_form_context(mode="new"),
        )

    @get("/{policy_id:uuid}", name="admin-policy")
    async def show(self, request: Member, policy_id: FromPath[UUID], policies: Policies) -> Template:
        policy = await policies.get(policy_id)
        stats = await policies.stats(policy)
        return render(
            request,
            "policies/admin/detail.html",
            policy=policy,
            stats=stats,
            reach=reach_chart([(policy, stats)]),
            qualifying=await policies.qualifying_organizations(policy),
            label=label,
            PolicyStatus=PolicyStatus,
        )

    @get("/{policy_id:uuid}/edit", name="admin-policy-edit")
    async def edit_form(self, request: Member, policy_id: FromPath[UUID], policies: Policies) -> Template:
        policy = await policies.get(policy_id)
        return render(
            request, FORM_PAGE, **_form_context(mode="edit", policy=policy, form=policy_form(policy))
        )

    @post("/{policy_id:uuid}/edit")
    async def update(
        self, request: Member, policy_id: FromPath[UUID], data: Form, policies: Policies
    ) -> Response[Any]:
        policy = await policies.get(policy_id)
        version = policy.version

        async def save() -> Policy:
            saved = await policies.update(request.user, policy_id, PolicyInput.from_form(data))
            # A material change to a published policy makes a new version, told again.
            if saved.version != version:
                flash(
                    request,
                    _("Saved as a new version. The organizations that qualify now are being told."),
                    "success",
                )
            else:
                flash(request, _("Saved."), "success")
            return saved

        return await form_or_redirect(
            request,
            save,
            template=FORM_PAGE,
            form=form_of(data, *CONDITION_LISTS),
            done=None,
            redirect_to=_admin_url,
            context=_form_context(mode="edit", policy=policy),
        )

    @post("/{policy_id:uuid}/publish")
    async def publish(self, request: Member, policy_id: FromPath[UUID], policies: Policies) -> Redirect:
        return await act(
            request,
            lambda: policies.publish(request.user, policy_id),
            done=_(PUBLISHED),
            redirect_to=_admin_url(policy_id),
        )

    @post("/{policy_id:uuid}/withdraw")
    async def withdraw(self, request: Member, policy_id: FromPath[UUID], policies: Policies) -> Redirect:
        return await act(
            request,
            lambda: policies.withdraw(request.user, policy_id),
            done=_("Withdrawn. It no longer appears in the list or in search."),
            redirect_to=_admin_url(policy_id),
        )
