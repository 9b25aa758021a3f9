"""Matching pages: 为你推荐 for an OPC (with feedback and email rhythm), recommended OPCs and similar items
beside a scenario or a profile, and the one-click unsubscribe link of the emails."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.guards import Member, requires_admin, requires_login
from community.accounts.models import User
from community.i18n import N_, _
from community.matching.models import RHYTHMS
from community.matching.services import MatchingService
from community.matching.services.mail import read_unsubscribe_token
from community.matching.talent import TalentMatcher
from community.talent.labels import format_pay, format_place, label
from community.talent.models import PositionStatus
from community.vocabulary import DOMAINS
from community.web import Form, Visitor, field, is_htmx, many, render, settings_of, user_of

RHYTHM_LABELS = {
    "immediate": N_("Right away"),
    "daily": N_("Once a day"),
    "weekly": N_("Once a week"),
    "off": N_("No email"),
}


def _with_embedder(build: Any) -> Provide:
    """A matching service on the request's session, with the app's settings and this process's embedder. A
    web process that does not run the background work never computes a vector (never loads the model): it
    ranks with the vectors the worker stored."""

    def provide(db_session: NamedDependency[AsyncSession], request: Visitor) -> Any:
        settings = settings_of(request)
        embedder = request.app.state.get("embedder")
        return build(db_session, settings, embedder, compute=settings.background_work)

    return Provide(provide, sync_to_thread=False)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFoundException from exc


# Handler parameter types: the services as the handlers receive them.
Matching = NamedDependency[MatchingService]
Matcher = NamedDependency[TalentMatcher]


class MatchingController(Controller):
    path = "/matching"
    dependencies = {"matching": _with_embedder(MatchingService)}

    @get("/for-you", name="matching-for-you", guards=[requires_login])
    async def for_you(
        self, request: Visitor, matching: Matching, org: Annotated[str | None, QueryParameter()] = None
    ) -> Template:
        user = user_of(request)
        opcs = await matching.scenarios.opc_organizations_of(user)
        current = next((o for o in opcs if str(o.id) == org), opcs[0] if opcs else None)
        recommendations = await matching.for_opc(current.id) if current else []
        feedback = await matching.preferences.feedback_of(current.id) if current else {}
        turned_down = [sid for sid, verdict in feedback.items() if verdict == "not_interested"]
        return render(
            request,
            "matching/for_you.html",
            opcs=opcs,
            current=current,
            recommendations=recommendations,
            feedback=feedback,
            turned_down=len(turned_down),
            subscription=await matching.preferences.subscription(user.id),
            preference=await matching.preferences.preference(current.id) if current else None,
            has_profile=bool(current and await matching.capabilities.get_by_org(current.id)),
            degraded=matching.degraded,
            rhythms=[(r, _(RHYTHM_LABELS[r])) for r in RHYTHMS],
            domains=DOMAINS,
        )

    @post("/feedback", name="matching-feedback", guards=[requires_login])
    async def feedback(self, request: Visitor, matching: Matching, data: Form) -> Redirect:
        user = user_of(request)
        org_id = _uuid(field(data, "organization"))
        scenario_id = _uuid(field(data, "scenario"))
        verdict = field(data, "verdict")
        await matching.give_feedback(user, org_id, scenario_id, verdict)
        if verdict == "interested":
            flash(request, _("Noted. Tell the owner how you would take it on."), "success")
            return Redirect(f"/scenarios/{scenario_id}#my-interest")
        flash(request, _("Noted. We will show you fewer scenarios like it."), "success")
        return Redirect(f"/matching/for-you?org={org_id}")

    @post("/settings", name="matching-settings", guards=[requires_login])
    async def settings(self, request: Visitor, matching: Matching, data: Form) -> Redirect:
        user = user_of(request)
        org_id = _uuid(field(data, "organization"))
        opcs = await matching.scenarios.opc_organizations_of(user)
        if org_id not in {o.id for o in opcs}:
            raise NotFoundException
        await matching.preferences.set_rhythm(user.id, field(data, "rhythm"))
        await matching.preferences.save_preference(
            org_id, many(data, "excluded_domains"), field(data, "paused") == "yes"
        )
        flash(request, _("Saved."), "success")
        return Redirect(f"/matching/for-you?org={org_id}")

    @post("/questions", name="matching-questions", guards=[requires_login])
    async def questions(self, request: Visitor, matching: Matching, data: Form) -> Redirect:
        """Whether forum questions that fit the member may be offered to them: their own setting only."""
        user = user_of(request)
        await matching.preferences.set_questions(user.id, field(data, "questions") == "yes")
        flash(request, _("Saved."), "success")
        return Redirect("/matching/for-you#questions")

    @get("/unsubscribe", name="matching-unsubscribe")
    async def unsubscribe(
        self, request: Visitor, matching: Matching, token: Annotated[str, QueryParameter(max_length=200)] = ""
    ) -> Template:
        """The email's link: one click, logged in or not."""
        user_id = read_unsubscribe_token(settings_of(request).secret_key, token)
        if user_id is None or await matching.db.get(User, user_id) is None:
            return render(request, "matching/unsubscribed.html", status_code=404, done=False)
        await matching.preferences.unsubscribe(user_id)
        return render(request, "matching/unsubscribed.html", done=True)

    @get("/scenarios/{scenario_id:uuid}/panel", name="matching-scenario-panel")
    async def scenario_panel(
        self, request: Visitor, scenario_id: FromPath[UUID], matching: Matching
    ) -> Template:
        """Beside a scenario: recommended OPCs for its owner (and admins), similar scenarios for everyone."""
        viewer: User | None = request.scope.get("user")
        scenario, access = await matching.scenarios.get_for(viewer, scenario_id)
        owner_view = access.is_owner or access.is_admin
        context: dict[str, Any] = {
            "scenario": scenario,
            "owner_view": owner_view,
            "recommended": await matching.recommended_opcs(scenario) if owner_view else [],
            "similar": await matching.similar_scenarios(scenario),
            "degraded": matching.degraded,
        }
        template = "matching/_scenario_panel.html" if is_htmx(request) else "matching/scenario_page.html"
        return render(request, template, **context)

    @get("/capabilities/{slug:str}/panel", name="matching-profile-panel")
    async def profile_panel(self, request: Visitor, slug: FromPath[str], matching: Matching) -> Template:
        viewer: User | None = request.scope.get("user")
        org, profile, _member = await matching.capabilities.public_by_slug(viewer, slug)
        context: dict[str, Any] = {
            "org": org,
            "similar": await matching.similar_profiles(profile),
            "degraded": matching.degraded,
        }
        template = "matching/_profile_panel.html" if is_htmx(request) else "matching/profile_page.html"
        return render(request, template, **context)


# --- the talent zone's recommendations ---------------------------------------------------------------------


class TalentMatchingController(Controller):
    path = "/talent"
    dependencies = {"matcher": _with_embedder(TalentMatcher)}

    @get("/for-you", name="talent-for-you", guards=[requires_login])
    async def for_you(self, request: Member, matcher: Matcher) -> Template:
        profile = await matcher.profiles.of_user(request.user.id)
        return render(
            request,
            "talent/for_you.html",
            profile=profile,
            matches=await matcher.positions_for(request.user) if profile else [],
            degraded=matcher.degraded,
            label=label,
            format_pay=format_pay,
            format_place=format_place,
        )

    @get("/positions/{position_id:uuid}/candidates", name="talent-candidates", guards=[requires_login])
    async def candidates(self, request: Member, position_id: FromPath[UUID], matcher: Matcher) -> Template:
        """Recommended candidates, for the members of the position's organization only."""
        position, access = await matcher.positions.get_for(request.user, position_id)
        if not access.is_member:
            raise PermissionDeniedException
        context: dict[str, Any] = {
            "position": position,
            "matches": await matcher.candidates_for(position)
            if position.status is PositionStatus.OPEN
            else [],
            "degraded": matcher.degraded,
            "format_place": format_place,
        }
        template = "talent/_candidates.html" if is_htmx(request) else "talent/candidates.html"
        return render(request, template, **context)


class MatchingAdminController(Controller):
    """/admin/matching: the embedding model in use, whether it loads, which model's vectors serve, and the
    weights (for admins only: it names folders and errors of the server)."""

    path = "/admin/matching"
    dependencies = {"matching": _with_embedder(MatchingService)}
    guards = [requires_admin]

    @get("/", name="matching-admin")
    async def status(self, request: Member, matching: Matching) -> Template:
        return render(request, "matching/admin.html", status=await matching.status())
