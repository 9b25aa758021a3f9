"""The admins' side of the scenario zone: review submitted scenarios, verify profiles, chase late answers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.errors import FormError, NotFound
from community.i18n import _
from community.scenarios.controllers.deps import DEPENDENCIES, Form, field
from community.scenarios.labels import format_budget, label
from community.scenarios.models import ScenarioStatus
from community.scenarios.services.capabilities import CapabilityService
from community.scenarios.services.interests import InterestService
from community.scenarios.services.scenarios import ScenarioService, today
from community.web import render


class ScenarioAdminController(Controller):
    path = "/admin"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="admin")
    async def hub(
        self,
        request: Request[User, Any, Any],
        scenarios: NamedDependency[ScenarioService],
        interests: NamedDependency[InterestService],
        capabilities: NamedDependency[CapabilityService],
    ) -> Template:
        settings = request.app.state.settings
        return render(
            request,
            "scenarios/admin/hub.html",
            submitted=await scenarios.list_by_status(ScenarioStatus.SUBMITTED),
            profiles=await capabilities.review_queue(),
            overdue=await interests.overdue(),
            stale=await scenarios.stale_drafts(settings.stale_draft_days),
            stale_days=settings.stale_draft_days,
            label=label,
            format_budget=format_budget,
            today=today(),
        )

    async def _done(self, request: Request[Any, Any, Any], action: Any, message: str, back: str) -> Redirect:
        try:
            await action()
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except NotFound as exc:
            raise NotFoundException from exc
        else:
            flash(request, message, "success")
        return Redirect(back)

    @post("/scenarios/{scenario_id:uuid}/publish")
    async def publish(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        return await self._done(
            request,
            lambda: scenarios.publish(request.user, scenario_id),
            _("Published. The owner has been told."),
            f"/scenarios/{scenario_id}",
        )

    @post("/scenarios/{scenario_id:uuid}/return")
    async def return_scenario(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        return await self._done(
            request,
            lambda: scenarios.return_to_owner(request.user, scenario_id, field(data, "reason")),
            _("Returned with your reason. The owner has been told."),
            f"/scenarios/{scenario_id}",
        )

    @post("/scenarios/{scenario_id:uuid}/demonstration")
    async def demonstration(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        raw = field(data, "year").strip()
        try:
            year = int(raw) if raw else None
        except ValueError:
            year = -1  # refused by the service with a clear message
        return await self._done(
            request,
            lambda: scenarios.set_demonstration(request.user, scenario_id, year),
            _("Saved."),
            f"/scenarios/{scenario_id}",
        )

    @post("/capabilities/{profile_id:uuid}/verify")
    async def verify(
        self,
        request: Request[User, Any, Any],
        profile_id: FromPath[UUID],
        capabilities: NamedDependency[CapabilityService],
    ) -> Redirect:
        return await self._done(
            request,
            lambda: capabilities.verify(request.user, profile_id),
            _("Verified. The profile is in the capability list."),
            "/admin#profiles",
        )

    @post("/capabilities/{profile_id:uuid}/reject")
    async def reject(
        self,
        request: Request[User, Any, Any],
        profile_id: FromPath[UUID],
        data: Form,
        capabilities: NamedDependency[CapabilityService],
    ) -> Redirect:
        return await self._done(
            request,
            lambda: capabilities.reject(request.user, profile_id, field(data, "reason")),
            _("Not verified. The OPC has been told why."),
            "/admin#profiles",
        )
