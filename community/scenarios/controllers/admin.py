"""The admins' side of the scenario zone: review submitted scenarios, verify profiles, chase late answers."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_admin
from community.i18n import N_, _
from community.kernel.clock import today
from community.scenarios.controllers.deps import (
    DEPENDENCIES,
    Capabilities,
    Interests,
    Scenarios,
    scenario_step,
)
from community.scenarios.labels import format_budget, label
from community.scenarios.models import ScenarioStatus
from community.web import Form, act, field, render, settings_of

PROFILES = "/admin#profiles"


def _year(raw: str) -> int | None:
    """The demonstration year typed: empty is none; anything but a number is refused by the service."""
    raw = raw.strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1


class ScenarioAdminController(Controller):
    path = "/admin"
    dependencies = DEPENDENCIES
    guards = [requires_admin]

    @get("/", name="admin")
    async def hub(
        self, request: Member, scenarios: Scenarios, interests: Interests, capabilities: Capabilities
    ) -> Template:
        stale_days = settings_of(request).stale_draft_days
        return render(
            request,
            "scenarios/admin/hub.html",
            submitted=await scenarios.list_by_status(ScenarioStatus.SUBMITTED),
            revisions=await scenarios.revisions_to_review(),
            profiles=await capabilities.review_queue(),
            overdue=await interests.overdue(),
            stale=await scenarios.stale_drafts(stale_days),
            stale_days=stale_days,
            label=label,
            format_budget=format_budget,
            today=today(),
        )

    publish = scenario_step(
        "/scenarios/{scenario_id:uuid}/publish",
        lambda scenarios, admin, scenario_id, _data: scenarios.publish(admin, scenario_id),
        done=N_("Published. The owner has been told."),
    )
    return_scenario = scenario_step(
        "/scenarios/{scenario_id:uuid}/return",
        lambda scenarios, admin, scenario_id, data: scenarios.return_to_owner(
            admin, scenario_id, field(data, "reason")
        ),
        done=N_("Returned with your reason. The owner has been told."),
    )
    approve_revision = scenario_step(
        "/scenarios/{scenario_id:uuid}/revision/approve",
        lambda scenarios, admin, scenario_id, _data: scenarios.approve_revision(admin, scenario_id),
        done=N_("The changes are published. The owner has been told."),
    )
    reject_revision = scenario_step(
        "/scenarios/{scenario_id:uuid}/revision/reject",
        lambda scenarios, admin, scenario_id, data: scenarios.reject_revision(
            admin, scenario_id, field(data, "reason")
        ),
        done=N_("The changes are not published. The owner has been told why."),
    )
    demonstration = scenario_step(
        "/scenarios/{scenario_id:uuid}/demonstration",
        lambda scenarios, admin, scenario_id, data: scenarios.set_demonstration(
            admin, scenario_id, _year(field(data, "year"))
        ),
        done=N_("Saved."),
    )

    @post("/capabilities/{profile_id:uuid}/verify")
    async def verify(
        self, request: Member, profile_id: FromPath[UUID], capabilities: Capabilities
    ) -> Redirect:
        return await act(
            request,
            lambda: capabilities.verify(request.user, profile_id),
            done=_("Verified. The profile is in the capability list."),
            redirect_to=PROFILES,
        )

    @post("/capabilities/{profile_id:uuid}/reject")
    async def reject(
        self, request: Member, profile_id: FromPath[UUID], data: Form, capabilities: Capabilities
    ) -> Redirect:
        return await act(
            request,
            lambda: capabilities.reject(request.user, profile_id, field(data, "reason")),
            done=_("Not verified. The OPC has been told why."),
            redirect_to=PROFILES,
        )
