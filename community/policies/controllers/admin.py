"""The admins' side of policies: write, publish, change and withdraw them, and see for each how many
organizations qualify now, how many were told and how many opened it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.errors import FormError, NotFound
from community.i18n import _
from community.policies.controllers.deps import DEPENDENCIES, LIST_FIELDS, Form, form_of
from community.policies.labels import ACTIVITIES, BENEFIT_KINDS, choices, label, stage_choices
from community.policies.models import Policy, PolicyStatus
from community.policies.services.policies import BENEFITS_MAX, PolicyInput, PolicyService
from community.policies.services.policies import form_of as policy_form
from community.vocabulary import DISTRICTS, DOMAINS, org_type_choices
from community.web import render


def _form_context() -> dict[str, Any]:
    return {
        "kinds": choices(BENEFIT_KINDS),
        "activities": choices(ACTIVITIES),
        "stages": stage_choices(),
        "org_types": org_type_choices(),
        "domains": DOMAINS,
        "districts": DISTRICTS,
        "benefits_max": BENEFITS_MAX,
    }


class PolicyAdminController(Controller):
    path = "/admin/policies"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="admin-policies")
    async def index(
        self, request: Request[User, Any, Any], policies: NamedDependency[PolicyService]
    ) -> Template:
        listed = await policies.list_all()
        stats = await policies.stats_of(listed)
        rows = [(policy, stats[policy.id]) for policy in listed]
        return render(request, "policies/admin/index.html", rows=rows, label=label, PolicyStatus=PolicyStatus)

    @get("/new", name="admin-policy-new")
    async def new_form(self, request: Request[User, Any, Any]) -> Template:
        form: dict[str, Any] = {
            "org_types": ["opc"],
            "domains": [],
            "districts": [],
            "stages": [],
            "activities": [],
        }
        return render(request, "policies/admin/form.html", mode="new", form=form, **_form_context())

    @post("/new")
    async def create(
        self, request: Request[User, Any, Any], data: Form, policies: NamedDependency[PolicyService]
    ) -> Response[Any]:
        try:
            policy = await policies.create(request.user, PolicyInput.from_form(data))
            if "publish" in data:
                await policies.publish(request.user, policy.id)
        except FormError as exc:
            return render(
                request,
                "policies/admin/form.html",
                400,
                mode="new",
                form=form_of(data, *LIST_FIELDS),
                errors=exc.errors,
                **_form_context(),
            )
        flash(
            request,
            _("Published. The organizations that qualify are being told.")
            if "publish" in data
            else _("Draft saved. Publish it when it is ready."),
            "success",
        )
        return Redirect(f"/admin/policies/{policy.id}")

    async def _get(self, policies: PolicyService, policy_id: UUID) -> Policy:
        return await policies.get(policy_id)

    @get("/{policy_id:uuid}", name="admin-policy")
    async def show(
        self,
        request: Request[User, Any, Any],
        policy_id: FromPath[UUID],
        policies: NamedDependency[PolicyService],
    ) -> Template:
        policy = await self._get(policies, policy_id)
        stats = await policies.stats(policy)
        qualifying = await policies.qualifying_organizations(policy)
        return render(
            request,
            "policies/admin/detail.html",
            policy=policy,
            stats=stats,
            qualifying=qualifying,
            label=label,
            PolicyStatus=PolicyStatus,
        )

    @get("/{policy_id:uuid}/edit", name="admin-policy-edit")
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        policy_id: FromPath[UUID],
        policies: NamedDependency[PolicyService],
    ) -> Template:
        policy = await self._get(policies, policy_id)
        return render(
            request,
            "policies/admin/form.html",
            mode="edit",
            policy=policy,
            form=policy_form(policy),
            **_form_context(),
        )

    @post("/{policy_id:uuid}/edit")
    async def update(
        self,
        request: Request[User, Any, Any],
        policy_id: FromPath[UUID],
        data: Form,
        policies: NamedDependency[PolicyService],
    ) -> Response[Any]:
        policy = await self._get(policies, policy_id)
        version = policy.version
        try:
            policy = await policies.update(request.user, policy_id, PolicyInput.from_form(data))
        except FormError as exc:
            return render(
                request,
                "policies/admin/form.html",
                400,
                mode="edit",
                policy=policy,
                form=form_of(data, *LIST_FIELDS),
                errors=exc.errors,
                **_form_context(),
            )
        if policy.version != version:
            flash(
                request,
                _("Saved as a new version. The organizations that qualify now are being told."),
                "success",
            )
        else:
            flash(request, _("Saved."), "success")
        return Redirect(f"/admin/policies/{policy.id}")

    async def _act(
        self, request: Request[User, Any, Any], action: Any, message: str, policy_id: UUID
    ) -> Redirect:
        try:
            await action()
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except NotFound as exc:
            raise NotFoundException from exc
        else:
            flash(request, message, "success")
        return Redirect(f"/admin/policies/{policy_id}")

    @post("/{policy_id:uuid}/publish")
    async def publish(
        self,
        request: Request[User, Any, Any],
        policy_id: FromPath[UUID],
        policies: NamedDependency[PolicyService],
    ) -> Redirect:
        return await self._act(
            request,
            lambda: policies.publish(request.user, policy_id),
            _("Published. The organizations that qualify are being told."),
            policy_id,
        )

    @post("/{policy_id:uuid}/withdraw")
    async def withdraw(
        self,
        request: Request[User, Any, Any],
        policy_id: FromPath[UUID],
        policies: NamedDependency[PolicyService],
    ) -> Redirect:
        return await self._act(
            request,
            lambda: policies.withdraw(request.user, policy_id),
            _("Withdrawn. It no longer appears in the list or in search."),
            policy_id,
        )
