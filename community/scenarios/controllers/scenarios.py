"""Scenario pages: the public list and dashboard, one scenario with its timeline, writing and moving it,
and the interest of OPCs with the owner's answers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.errors import Forbidden, FormError, NotFound
from community.i18n import N_, _
from community.kernel.clock import today
from community.kernel.money import format_yuan_above, format_yuan_below, format_yuan_range
from community.markup import markdown_html
from community.scenarios.controllers.deps import (
    DEPENDENCIES,
    Dashboard,
    Interests,
    ListFilters,
    Scenarios,
    scenario_step,
)
from community.scenarios.documents import scenario_url
from community.scenarios.inputs import ScenarioInput, optional_uuid
from community.scenarios.labels import action_label, choices, format_budget, label
from community.scenarios.models import PUBLIC_STATUSES, Scenario, ScenarioKind, ScenarioScale
from community.scenarios.services.scenario_reading import revision_input
from community.scenarios.views import dashboard_charts
from community.vocabulary import DISTRICTS, DOMAINS, district_choices, domain_choices
from community.web import (
    Form,
    Visitor,
    act,
    current_user,
    field,
    filter_chips,
    form_of,
    form_or_redirect,
    render,
    shared_fragment,
)


def budget_choices() -> list[tuple[str, str]]:
    """The budget bands a list filters by, in the reader's words: 10万–50万元 / ¥100,000–¥500,000."""
    return [
        ("negotiable", _("To be negotiated")),
        ("lt100k", format_yuan_below(100_000)),
        ("100k-500k", format_yuan_range(100_000, 500_000)),
        ("500k-1m", format_yuan_range(500_000, 1_000_000)),
        ("1m-5m", format_yuan_range(1_000_000, 5_000_000)),
        ("gt5m", format_yuan_above(5_000_000)),
    ]


# What the owner is told after moving a public scenario on (the service refuses any other move).
MOVED = {
    "docking": N_("Docking."),
    "landed": N_("Marked as landed. Congratulations!"),
    "closed": N_("Closed."),
}
PROPOSAL_KEEP_MAX = 5000  # what of a refused proposal comes back in the form
_INTEREST_FORM = "_interest_form"


def _choices_context() -> dict[str, Any]:
    return {
        "kinds": choices(ScenarioKind),
        "scales": choices(ScenarioScale),
        "statuses": [(s.value, label(s)) for s in PUBLIC_STATUSES],
        "domains": DOMAINS,
        "districts": DISTRICTS,
        "budgets": budget_choices(),
        "label": label,
        "action_label": action_label,
        "format_budget": format_budget,
        "today": today(),
    }


def _edit_context(scenario: Scenario) -> dict[str, Any]:
    return {"mode": "edit", "scenario": scenario, **_choices_context()}


def _submitted() -> str:
    return _("Submitted. An admin will review it; you will be notified.")


def _pop_interest_form(request: Visitor) -> dict[str, Any]:
    session = request.scope.get("session")
    if isinstance(session, dict):
        kept: dict[str, Any] = session.pop(_INTEREST_FORM, {})
        return kept
    return {}


class ScenarioController(Controller):
    path = "/scenarios"
    dependencies = DEPENDENCIES

    @get("/", name="scenarios")
    async def index(self, request: Visitor, scenarios: Scenarios, scenario_filters: ListFilters) -> Template:
        filters = scenario_filters

        async def public_part() -> dict[str, Any]:
            context = _choices_context()
            groups = filter_chips(
                filters,
                "/scenarios",
                [
                    (_("Domain"), "domain", domain_choices()),
                    (_("District"), "district", district_choices()),
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
            listing = await scenarios.list_public(filters)
            return {"listing": listing, "filters": filters, "filter_groups": groups, **context}

        # The list is everyone's: rendered once per interval or change, per language (web.fragments).
        shared = await shared_fragment(
            request,
            "scenarios/_listing.html",
            f"/scenarios?{urlencode(filters.as_query())}&today={today().isoformat()}",
            public_part,
        )
        return render(request, "scenarios/list.html", filters=filters, shared=shared)

    @get("/dashboard", name="scenario-dashboard")
    async def dashboard_page(self, request: Visitor, dashboard: Dashboard) -> Template:
        stats = await dashboard.public()
        return render(
            request, "scenarios/dashboard.html", stats=stats, charts=dashboard_charts(stats), label=label
        )

    @get("/mine", name="scenarios-mine", guards=[requires_login])
    async def mine(self, request: Member, scenarios: Scenarios, interests: Interests) -> Template:
        authors = await scenarios.author_organizations_of(request.user)
        opcs = await scenarios.opc_organizations_of(request.user)
        return render(
            request,
            "scenarios/mine.html",
            authors=authors,
            opcs=opcs,
            own={org.id: await scenarios.list_of_organization(org.id) for org in authors},
            my_interests=await interests.of_opc([org.id for org in opcs]),
            label=label,
            today=today(),
        )

    @get("/new", name="scenario-new", guards=[requires_login])
    async def new_form(
        self, request: Member, scenarios: Scenarios, org: Annotated[str | None, QueryParameter()] = None
    ) -> Template:
        authors = await scenarios.author_organizations_of(request.user)
        form: dict[str, Any] = {"organization": org or (str(authors[0].id) if len(authors) == 1 else "")}
        return render(
            request, "scenarios/form.html", mode="new", authors=authors, form=form, **_choices_context()
        )

    @post("/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, scenarios: Scenarios) -> Response[Any]:
        user = request.user
        submit = field(data, "action") == "submit"

        async def save() -> Scenario:
            organization_id = await scenarios.chosen_author(user, field(data, "organization"))
            scenario_input = ScenarioInput.from_mapping(data)
            return await scenarios.create(user, organization_id, scenario_input, submit=submit)

        async def context() -> dict[str, Any]:
            authors = await scenarios.author_organizations_of(user)
            return {"mode": "new", "authors": authors, **_choices_context()}

        return await form_or_redirect(
            request,
            save,
            template="scenarios/form.html",
            form=form_of(data, "domains"),
            done=_submitted() if submit else _("Draft saved. Submit it for review when it is ready."),
            redirect_to=scenario_url,
            context=context,
        )

    @get("/{scenario_id:uuid}", name="scenario")
    async def show(
        self, request: Visitor, scenario_id: FromPath[UUID], scenarios: Scenarios, interests: Interests
    ) -> Template:
        scenario, access = await scenarios.get_for(current_user(request), scenario_id)
        # The one decision on the confidential part (ScenarioAccess.can_read_details): nothing of it is even
        # rendered for a viewer without access, and the template checks the same value.
        details = access.can_read_details
        revision = await scenarios.pending_revision(scenario) if access.can_edit else None
        return render(
            request,
            "scenarios/detail.html",
            scenario=scenario,
            access=access,
            timeline=await scenarios.timeline(scenario),
            interests=await interests.panel(scenario, access),
            readers=await scenarios.readers(scenario) if access.can_edit else [],
            revision=revision,
            revision_changes=scenarios.revision_changes(scenario, revision) if revision else [],
            description_html=markdown_html(scenario.description) if details else None,
            outcome_html=markdown_html(scenario.expected_outcome) if details else None,
            form=_pop_interest_form(request),
            **_choices_context(),
        )

    @get("/{scenario_id:uuid}/edit", name="scenario-edit", guards=[requires_login])
    async def edit_form(self, request: Member, scenario_id: FromPath[UUID], scenarios: Scenarios) -> Template:
        scenario, access = await scenarios.get_for(request.user, scenario_id)
        if not access.can_edit:
            raise Forbidden
        held = scenarios.edits_need_review(request.user, scenario)
        revision = await scenarios.pending_revision(scenario) if held else None
        # The owner goes on from the change that waits for review, so that nothing typed is lost.
        typed = revision_input(revision) if revision else ScenarioInput.of(scenario)
        return render(
            request,
            "scenarios/form.html",
            form=typed.as_form(),
            held_for_review=held,
            revision=revision,
            **_edit_context(scenario),
        )

    @post("/{scenario_id:uuid}/edit", guards=[requires_login])
    async def update(
        self, request: Member, scenario_id: FromPath[UUID], data: Form, scenarios: Scenarios
    ) -> Response[Any]:
        scenario, _access = await scenarios.get_for(request.user, scenario_id)
        submit = field(data, "action") == "submit"
        held = scenarios.edits_need_review(request.user, scenario)

        async def save() -> None:
            await scenarios.update(request.user, scenario_id, ScenarioInput.from_mapping(data))
            if submit:
                await scenarios.submit(request.user, scenario_id)

        if held:
            done = _("Sent for review. Readers see the published version until an admin approves the change.")
        else:
            done = _submitted() if submit else _("Saved.")
        return await form_or_redirect(
            request,
            save,
            template="scenarios/form.html",
            form=form_of(data, "domains"),
            done=done,
            redirect_to=scenario_url(scenario_id),
            context={**_edit_context(scenario), "held_for_review": held},
        )

    @post("/{scenario_id:uuid}/submit", guards=[requires_login])
    async def submit(
        self, request: Member, scenario_id: FromPath[UUID], scenarios: Scenarios
    ) -> Response[Any]:
        # Incomplete: the form opens with what is missing marked beside each field.
        scenario = await scenarios.get(scenario_id)
        return await form_or_redirect(
            request,
            lambda: scenarios.submit(request.user, scenario_id),
            template="scenarios/form.html",
            form=ScenarioInput.of(scenario).as_form(),
            done=_submitted(),
            redirect_to=scenario_url(scenario_id),
            context=_edit_context(scenario),
        )

    withdraw = scenario_step(
        "/{scenario_id:uuid}/withdraw",
        lambda scenarios, user, scenario_id, _data: scenarios.withdraw(user, scenario_id),
        done=N_("Taken back to draft. Edit it and submit it again."),
        guards=[requires_login],
    )

    change_status = scenario_step(
        "/{scenario_id:uuid}/status",
        lambda scenarios, user, scenario_id, data: scenarios.move_on(
            user,
            scenario_id,
            field(data, "status"),
            field(data, "reason"),
            optional_uuid(field(data, "partner")),
        ),
        # The service refuses a move it does not know, so only these are ever said.
        done=lambda data: MOVED.get(field(data, "status"), ""),
        guards=[requires_login],
    )

    # The owner (or an admin) ends one reader's access to the details, or grants it again; the reader is
    # named by their acceptance's id, which only the owner's page lists.
    withdraw_reader = scenario_step(
        "/{scenario_id:uuid}/readers/withdraw",
        lambda scenarios, user, scenario_id, data: scenarios.withdraw_reader(
            user, scenario_id, optional_uuid(field(data, "reader"))
        ),
        done=N_("Access withdrawn. That reader no longer sees the details."),
        anchor="#readers",
        guards=[requires_login],
    )

    regrant_reader = scenario_step(
        "/{scenario_id:uuid}/readers/grant",
        lambda scenarios, user, scenario_id, data: scenarios.regrant_reader(
            user, scenario_id, optional_uuid(field(data, "reader"))
        ),
        done=N_("Access granted again."),
        anchor="#readers",
        guards=[requires_login],
    )

    accept_terms = scenario_step(
        "/{scenario_id:uuid}/terms",
        lambda scenarios, user, scenario_id, data: scenarios.accept_terms(
            user, scenario_id, agreed=field(data, "agree") == "yes"
        ),
        done=N_("You accepted the confidentiality terms for this scenario. Do not pass these details on."),
        anchor="#details",
        guards=[requires_login],
    )

    @post("/{scenario_id:uuid}/interest", guards=[requires_login])
    async def express_interest(
        self, request: Member, scenario_id: FromPath[UUID], data: Form, interests: Interests
    ) -> Redirect:
        proposal = field(data, "proposal")

        async def express() -> None:
            try:
                await interests.express(
                    request.user, scenario_id, optional_uuid(field(data, "organization")), proposal
                )
            except FormError:
                # Keep what was typed: it comes back in the form on the scenario page.
                request.session[_INTEREST_FORM] = {"proposal": proposal[:PROPOSAL_KEEP_MAX]}
                raise

        return await act(
            request,
            express,
            done=_("Sent. The owner will answer you; you will be notified."),
            redirect_to=scenario_url(scenario_id) + "#my-interest",
        )

    @post("/interests/{interest_id:uuid}/{decision:str}", guards=[requires_login])
    async def answer_interest(
        self,
        request: Member,
        interest_id: FromPath[UUID],
        decision: FromPath[str],
        data: Form,
        interests: Interests,
    ) -> Redirect:
        interest = await interests.get(interest_id)
        user, note = request.user, field(data, "note")
        answers = {
            "shortlist": (
                lambda: interests.shortlist(user, interest_id, note),
                _("Shortlisted. The OPC has been told."),
                "#interests",
            ),
            "decline": (
                lambda: interests.decline(user, interest_id, note),
                _("Declined. The OPC has been told why."),
                "#interests",
            ),
            "withdraw": (
                lambda: interests.withdraw(user, interest_id),
                _("Your interest is withdrawn."),
                "#my-interest",
            ),
        }
        if decision not in answers:
            raise NotFound
        step, done, anchor = answers[decision]
        return await act(request, step, done=done, redirect_to=scenario_url(interest.scenario_id) + anchor)
