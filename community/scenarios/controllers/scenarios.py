"""Scenario pages: the public list and dashboard, one scenario with its timeline, writing and moving it,
and the interest of OPCs with the owner's answers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.errors import FormError, NotFound
from community.i18n import _
from community.markup import markdown_html
from community.scenarios.controllers.deps import DEPENDENCIES, Form, field, filter_chips, many
from community.scenarios.labels import action_label, choices, format_budget, label
from community.scenarios.models import (
    PUBLIC_STATUSES,
    InterestStatus,
    Scenario,
    ScenarioKind,
    ScenarioScale,
    ScenarioStatus,
)
from community.scenarios.services.capabilities import CapabilityService
from community.scenarios.services.dashboard import DashboardService
from community.scenarios.services.interests import InterestService
from community.scenarios.services.scenarios import (
    OPEN_FOR_INTEREST,
    SORTS,
    ScenarioFilters,
    ScenarioService,
    scenario_url,
    today,
)
from community.scenarios.services.validation import ScenarioInput, budget_mode_of
from community.vocabulary import DISTRICTS, DOMAINS
from community.web import render

BUDGET_LABELS = {
    "negotiable": "面议",
    "lt100k": "< 10万",
    "100k-500k": "10万–50万",
    "500k-1m": "50万–100万",
    "1m-5m": "100万–500万",
    "gt5m": "> 500万",
}


def _form_of(scenario: Scenario) -> dict[str, Any]:
    return {
        "title": scenario.title,
        "kind": scenario.kind.value,
        "scale": scenario.scale.value,
        "domains": list(scenario.domains),
        "district": scenario.district,
        "abstract": scenario.abstract,
        "description": scenario.description,
        "expected_outcome": scenario.expected_outcome,
        "budget_mode": budget_mode_of(scenario.budget_min, scenario.budget_max, scenario.budget_negotiable),
        "budget_min": "" if scenario.budget_min is None else str(scenario.budget_min),
        "budget_max": "" if scenario.budget_max is None else str(scenario.budget_max),
        "deadline": scenario.deadline.isoformat() if scenario.deadline else "",
        "contact_name": scenario.contact_name,
        "contact_phone": scenario.contact_phone,
        "contact_email": scenario.contact_email,
    }


def _form_from(data: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {key: field(data, key) for key in data if key not in ("domains", "_csrf_token")}
    form["domains"] = many(data, "domains")
    return form


def _choices_context() -> dict[str, Any]:
    return {
        "kinds": choices(ScenarioKind),
        "scales": choices(ScenarioScale),
        "statuses": [(s.value, label(s)) for s in PUBLIC_STATUSES],
        "domains": DOMAINS,
        "districts": DISTRICTS,
        "budgets": list(BUDGET_LABELS.items()),
        "label": label,
        "action_label": action_label,
        "format_budget": format_budget,
        "today": today(),
    }


def _user(request: Request[Any, Any, Any]) -> User:
    user: User | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    return user


def _pop_interest_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    session = request.scope.get("session")
    if isinstance(session, dict):
        kept: dict[str, Any] = session.pop("_interest_form", {})
        return kept
    return {}


class ScenarioController(Controller):
    path = "/scenarios"
    dependencies = DEPENDENCIES

    @get("/", name="scenarios")
    async def index(
        self,
        request: Request[Any, Any, Any],
        scenarios: NamedDependency[ScenarioService],
        domain: Annotated[str | None, QueryParameter()] = None,
        district: Annotated[str | None, QueryParameter()] = None,
        kind: Annotated[str | None, QueryParameter()] = None,
        scale: Annotated[str | None, QueryParameter()] = None,
        status: Annotated[str | None, QueryParameter()] = None,
        budget: Annotated[str | None, QueryParameter()] = None,
        demonstration: Annotated[bool, QueryParameter()] = False,
        sort: Annotated[str, QueryParameter()] = "newest",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = ScenarioFilters(
            domain=domain if domain in DOMAINS else None,
            district=district if district in DISTRICTS else None,
            kind=kind if kind in {k.value for k in ScenarioKind} else None,
            scale=scale if scale in {s.value for s in ScenarioScale} else None,
            status=status if status in {s.value for s in PUBLIC_STATUSES} else None,
            budget=budget if budget in BUDGET_LABELS else None,
            demonstration=demonstration,
            sort=sort if sort in SORTS else "newest",
            page=page,
        )
        listing = await scenarios.list_public(filters)
        context = _choices_context()
        groups = filter_chips(
            filters,
            "/scenarios",
            [
                (_("Domain"), "domain", [(d, d) for d in DOMAINS]),
                (_("District"), "district", [(d, d) for d in DISTRICTS]),
                (_("Kind"), "kind", context["kinds"]),
                (_("Scale"), "scale", context["scales"]),
                (_("Budget"), "budget", context["budgets"]),
                (_("Status"), "status", [*context["statuses"], ("1", _("Demonstration scenarios"))]),
            ],
        )
        # The demonstration chip belongs to the status row but is its own parameter.
        _heading, chips = groups[-1]
        demo_on = filters.demonstration
        demo_query = filters.as_query(demonstration=None if demo_on else "1", page=None)
        chips[-1] = (chips[-1][0], "/scenarios?" + urlencode(demo_query), demo_on)
        return render(
            request, "scenarios/list.html", listing=listing, filters=filters, filter_groups=groups, **context
        )

    @get("/dashboard", name="scenario-dashboard")
    async def dashboard_page(
        self, request: Request[Any, Any, Any], dashboard: NamedDependency[DashboardService]
    ) -> Template:
        return render(request, "scenarios/dashboard.html", stats=await dashboard.public(), label=label)

    @get("/mine", name="scenarios-mine", guards=[requires_login])
    async def mine(
        self,
        request: Request[User, Any, Any],
        scenarios: NamedDependency[ScenarioService],
        interests: NamedDependency[InterestService],
    ) -> Template:
        authors = await scenarios.author_organizations_of(request.user)
        opcs = await scenarios.opc_organizations_of(request.user)
        own = {org.id: await scenarios.list_of_organization(org.id) for org in authors}
        my_interests = await interests.of_opc([org.id for org in opcs])
        return render(
            request,
            "scenarios/mine.html",
            authors=authors,
            opcs=opcs,
            own=own,
            my_interests=my_interests,
            label=label,
            today=today(),
        )

    @get("/new", name="scenario-new", guards=[requires_login])
    async def new_form(
        self,
        request: Request[User, Any, Any],
        scenarios: NamedDependency[ScenarioService],
        org: Annotated[str | None, QueryParameter()] = None,
    ) -> Template:
        authors = await scenarios.author_organizations_of(request.user)
        form: dict[str, Any] = {"organization": org or (str(authors[0].id) if len(authors) == 1 else "")}
        return render(
            request, "scenarios/form.html", mode="new", authors=authors, form=form, **_choices_context()
        )

    @post("/new", guards=[requires_login])
    async def create(
        self, request: Request[User, Any, Any], data: Form, scenarios: NamedDependency[ScenarioService]
    ) -> Response[Any]:
        authors = await scenarios.author_organizations_of(request.user)
        form = _form_from(data)
        submit = field(data, "action") == "submit"
        org_id: UUID | None
        try:
            org_id = UUID(field(data, "organization"))
        except ValueError:
            org_id = authors[0].id if len(authors) == 1 else None
        if org_id is None or org_id not in {org.id for org in authors}:
            errors = {"organization": _("Choose the organization that publishes this scenario.")}
            return render(
                request,
                "scenarios/form.html",
                400,
                mode="new",
                authors=authors,
                form=form,
                errors=errors,
                **_choices_context(),
            )
        try:
            scenario = await scenarios.create(
                request.user, org_id, ScenarioInput.from_mapping(data), submit=submit
            )
        except FormError as exc:
            return render(
                request,
                "scenarios/form.html",
                400,
                mode="new",
                authors=authors,
                form=form,
                errors=exc.errors,
                **_choices_context(),
            )
        if submit:
            flash(request, _("Submitted. An admin will review it; you will be notified."), "success")
        else:
            flash(request, _("Draft saved. Submit it for review when it is ready."), "success")
        return Redirect(scenario_url(scenario))

    @get("/{scenario_id:uuid}", name="scenario")
    async def show(
        self,
        request: Request[Any, Any, Any],
        scenario_id: FromPath[UUID],
        scenarios: NamedDependency[ScenarioService],
        interests: NamedDependency[InterestService],
        capabilities: NamedDependency[CapabilityService],
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        scenario, access = await scenarios.get_for(viewer, scenario_id)
        timeline = await scenarios.timeline(scenario)
        owner_view = access.is_owner or access.is_admin
        interest_views = await interests.for_scenario(scenario) if owner_view else []
        histories = await interests.history([v.interest.id for v in interest_views]) if owner_view else {}
        own_interests = await interests.of_organizations(scenario, [o.id for o in access.opc_orgs])
        own_histories = await interests.history([i.id for i in own_interests])
        interested_ids = {i.organization_id for i in own_interests}
        can_express = (
            [org for org in access.opc_orgs if org.id not in interested_ids]
            if scenario.status in OPEN_FOR_INTEREST
            and not (scenario.deadline and scenario.deadline < today())
            else []
        )
        readers = await scenarios.readers(scenario) if owner_view else []
        shortlisted = [v for v in interest_views if v.interest.status is InterestStatus.SHORTLISTED]
        return render(
            request,
            "scenarios/detail.html",
            scenario=scenario,
            access=access,
            timeline=timeline,
            interest_views=interest_views,
            histories=histories,
            own_interests=own_interests,
            own_histories=own_histories,
            can_express=can_express,
            readers=readers,
            shortlisted=shortlisted,
            description_html=markdown_html(scenario.description) if access.can_read_details else None,
            outcome_html=markdown_html(scenario.expected_outcome) if access.can_read_details else None,
            form=_pop_interest_form(request),
            **_choices_context(),
        )

    @get("/{scenario_id:uuid}/edit", name="scenario-edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        scenarios: NamedDependency[ScenarioService],
    ) -> Template:
        scenario, access = await scenarios.get_for(request.user, scenario_id)
        if not access.can_edit:
            raise PermissionDeniedException
        return render(
            request,
            "scenarios/form.html",
            mode="edit",
            scenario=scenario,
            form=_form_of(scenario),
            **_choices_context(),
        )

    @post("/{scenario_id:uuid}/edit", guards=[requires_login])
    async def update(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
    ) -> Response[Any]:
        scenario, access = await scenarios.get_for(request.user, scenario_id)
        if not access.can_edit:
            raise PermissionDeniedException
        form = _form_from(data)
        try:
            scenario = await scenarios.update(request.user, scenario_id, ScenarioInput.from_mapping(data))
            if field(data, "action") == "submit":
                await scenarios.submit(request.user, scenario_id)
        except FormError as exc:
            return render(
                request,
                "scenarios/form.html",
                400,
                mode="edit",
                scenario=scenario,
                form=form,
                errors=exc.errors,
                **_choices_context(),
            )
        if field(data, "action") == "submit":
            flash(request, _("Submitted. An admin will review it; you will be notified."), "success")
        else:
            flash(request, _("Saved."), "success")
        return Redirect(scenario_url(scenario))

    async def _act(
        self, request: Request[Any, Any, Any], scenario_id: UUID, action: Any, done: str
    ) -> Redirect:
        """Run one workflow step; a refused step comes back to the scenario page with its message."""
        try:
            await action()
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
            return Redirect(scenario_url(scenario_id))
        flash(request, done, "success")
        return Redirect(scenario_url(scenario_id))

    @post("/{scenario_id:uuid}/submit", guards=[requires_login])
    async def submit(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        scenarios: NamedDependency[ScenarioService],
    ) -> Response[Any]:
        try:
            await scenarios.submit(request.user, scenario_id)
        except FormError as exc:
            # Incomplete: open the form with what is missing marked beside each field.
            scenario = await scenarios.get(scenario_id)
            return render(
                request,
                "scenarios/form.html",
                400,
                mode="edit",
                scenario=scenario,
                form=_form_of(scenario),
                errors=exc.errors,
                **_choices_context(),
            )
        flash(request, _("Submitted. An admin will review it; you will be notified."), "success")
        return Redirect(scenario_url(scenario_id))

    @post("/{scenario_id:uuid}/withdraw", guards=[requires_login])
    async def withdraw(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        return await self._act(
            request,
            scenario_id,
            lambda: scenarios.withdraw(request.user, scenario_id),
            _("Taken back to draft. Edit it and submit it again."),
        )

    @post("/{scenario_id:uuid}/status", guards=[requires_login])
    async def change_status(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        target = field(data, "status")
        reason = field(data, "reason")
        if target == ScenarioStatus.DOCKING.value:
            return await self._act(
                request,
                scenario_id,
                lambda: scenarios.start_docking(request.user, scenario_id, reason),
                _("Docking."),
            )
        if target == ScenarioStatus.LANDED.value:
            try:
                partner = UUID(field(data, "partner")) if field(data, "partner") else None
            except ValueError:
                partner = None
            return await self._act(
                request,
                scenario_id,
                lambda: scenarios.land(request.user, scenario_id, reason, partner),
                _("Marked as landed. Congratulations!"),
            )
        if target == ScenarioStatus.CLOSED.value:
            return await self._act(
                request, scenario_id, lambda: scenarios.close(request.user, scenario_id, reason), _("Closed.")
            )
        flash(request, _("Choose what happens to the scenario."), "error")
        return Redirect(scenario_url(scenario_id))

    @post("/{scenario_id:uuid}/terms", guards=[requires_login])
    async def accept_terms(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
    ) -> Redirect:
        if field(data, "agree") != "yes":
            flash(request, _("Tick the box to accept the confidentiality terms."), "error")
            return Redirect(scenario_url(scenario_id) + "#details")
        try:
            await scenarios.accept_terms(request.user, scenario_id)
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except NotFound as exc:
            raise NotFoundException from exc
        return Redirect(scenario_url(scenario_id) + "#details")

    @post("/{scenario_id:uuid}/interest", guards=[requires_login])
    async def express_interest(
        self,
        request: Request[User, Any, Any],
        scenario_id: FromPath[UUID],
        data: Form,
        scenarios: NamedDependency[ScenarioService],
        interests: NamedDependency[InterestService],
    ) -> Redirect:
        try:
            await scenarios.get_for(request.user, scenario_id)
            org_id = UUID(field(data, "organization"))
            await interests.express(request.user, scenario_id, org_id, field(data, "proposal"))
        except ValueError:
            flash(request, _("Choose one of your OPCs."), "error")
        except FormError as exc:
            # Keep what was typed: it comes back in the form on the scenario page.
            request.session["_interest_form"] = {"proposal": field(data, "proposal")[:5000]}
            flash(request, " ".join(exc.errors.values()), "error")
        else:
            flash(request, _("Sent. The owner will answer you; you will be notified."), "success")
        return Redirect(scenario_url(scenario_id) + "#my-interest")

    @post("/interests/{interest_id:uuid}/{decision:str}", guards=[requires_login])
    async def answer_interest(
        self,
        request: Request[User, Any, Any],
        interest_id: FromPath[UUID],
        decision: FromPath[str],
        data: Form,
        interests: NamedDependency[InterestService],
    ) -> Redirect:
        interest = await interests.get(interest_id)
        note = field(data, "note")
        anchor = "#interests"
        try:
            if decision == "shortlist":
                await interests.shortlist(request.user, interest_id, note)
                flash(request, _("Shortlisted. The OPC has been told."), "success")
            elif decision == "decline":
                await interests.decline(request.user, interest_id, note)
                flash(request, _("Declined. The OPC has been told why."), "success")
            elif decision == "withdraw":
                await interests.withdraw(request.user, interest_id)
                flash(request, _("Your interest is withdrawn."), "success")
                anchor = "#my-interest"
            else:
                raise NotFoundException
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        return Redirect(scenario_url(interest.scenario_id) + anchor)
