"""Talent pages: the open positions, one position (its applications for its organization, the applicant's own
application and the form to apply), posting and closing positions, the talent profile, the CV download."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.accounts.models import User
from community.errors import NotFound
from community.i18n import _
from community.kernel.clock import today
from community.markup import markdown_html
from community.storage import private_download
from community.talent.controllers.deps import (
    APPLY_RATE_PER_MINUTE,
    DEPENDENCIES,
    UPLOAD_MAX_BODY,
    Applications,
    Filters,
    Positions,
    Profiles,
    context,
    read_upload,
)
from community.talent.documents import position_url
from community.talent.inputs import chosen_organization, new_position_form, position_form, profile_form
from community.talent.labels import label
from community.talent.models import ApplicationStatus, Position
from community.talent.services.applications import ApplicationService
from community.talent.services.profiles import ProfileService
from community.talent.views import PositionAccess, mb
from community.web import (
    Form,
    Multipart,
    Visitor,
    act,
    field,
    form_of,
    form_or_redirect,
    limit_per_account,
    render,
    shared_fragment,
)

ANSWER_STATUSES = {
    "shortlist": ApplicationStatus.SHORTLISTED,
    "interview": ApplicationStatus.INTERVIEW,
    "offer": ApplicationStatus.OFFER,
    "decline": ApplicationStatus.DECLINED,
}


async def position_page(
    viewer: User | None,
    position: Position,
    access: PositionAccess,
    applications: ApplicationService,
    profiles: ProfileService,
) -> dict[str, Any]:
    """What a position's page shows ``viewer``."""
    shown = await applications.for_page(viewer, position, access)
    return {
        "position": position,
        "access": access,
        "description_html": markdown_html(position.description),
        "views": shown.views,
        "histories": shown.histories,
        "own": shown.own,
        "own_histories": shown.own_histories,
        "can_apply": shown.can_apply,
        "my_profile": await profiles.of_user(viewer.id) if viewer else None,
        "form": {},
        "errors": {},
        "cv_max_mb": mb(applications.cv_max_bytes),
        "cv_max_pages": applications.cv_max_pages,
        "cv_retention_days": applications.cv_retention_days,
        **context(),
    }


class TalentController(Controller):
    path = "/talent"
    dependencies = DEPENDENCIES

    @get("/", name="talent")
    async def index(self, request: Visitor, positions: Positions, filters: Filters) -> Template:
        async def public_part() -> dict[str, Any]:
            return {"listing": await positions.list_open(filters), "filters": filters, **context()}

        # Everyone's list: rendered once per interval or change, per language (web.fragments).
        # A search's words are the reader's: that page is rendered for them alone.
        key = None if filters.q else f"/talent?{urlencode(filters.as_query())}&today={today().isoformat()}"
        shared = await shared_fragment(request, "talent/_index_shared.html", key, public_part)
        return render(request, "talent/index.html", filters=filters, shared=shared)

    # --- the talent profile --------------------------------------------------------------------------------

    @get("/profile", name="talent-profile", guards=[requires_login])
    async def profile_page(self, request: Member, profiles: Profiles) -> Template:
        profile = await profiles.of_user(request.user.id)
        return render(
            request, "talent/profile.html", profile=profile, form=profile_form(profile), **context()
        )

    @post("/profile", guards=[requires_login])
    async def save_profile(self, request: Member, data: Form, profiles: Profiles) -> Response[Any]:
        async def page() -> dict[str, Any]:
            return {"profile": await profiles.of_user(request.user.id), **context()}

        following = field(data, "next")
        return await form_or_redirect(
            request,
            lambda: profiles.save(request.user, data),
            template="talent/profile.html",
            form=form_of(data),
            done=_("Your talent profile is saved."),
            redirect_to=following if following.startswith("/talent/") else "/talent/profile",
            context=page,
        )

    # --- mine ----------------------------------------------------------------------------------------------

    @get("/mine", name="talent-mine", guards=[requires_login])
    async def mine(self, request: Member, positions: Positions, applications: Applications) -> Template:
        orgs = await positions.poster_organizations_of(request.user)
        return render(
            request,
            "talent/mine.html",
            orgs=orgs,
            own_positions=await positions.of_organizations([o.id for o in orgs]),
            my_applications=await applications.of_applicant(request.user.id),
            **context(),
        )

    # --- positions -----------------------------------------------------------------------------------------

    @get("/positions/new", name="talent-position-new", guards=[requires_login])
    async def new_form(
        self,
        request: Member,
        positions: Positions,
        org: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        orgs = await positions.poster_organizations_of(request.user)
        form = new_position_form(org or (str(orgs[0].id) if orgs else ""))
        return render(request, "talent/position_form.html", mode="new", orgs=orgs, form=form, **context())

    @post("/positions/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, positions: Positions) -> Response[Any]:
        publish = field(data, "action") == "publish"

        async def save() -> Position:
            return await positions.create(request.user, chosen_organization(data), data, publish=publish)

        async def page() -> dict[str, Any]:
            return {"mode": "new", "orgs": await positions.poster_organizations_of(request.user), **context()}

        return await form_or_redirect(
            request,
            save,
            template="talent/position_form.html",
            form=form_of(data),
            done=_("Published. Members can apply now.")
            if publish
            else _("Draft saved. Publish it when it is ready."),
            redirect_to=lambda position: position_url(position.id),
            context=page,
        )

    @get("/positions/{position_id:uuid}", name="talent-position")
    async def show(
        self,
        request: Visitor,
        position_id: FromPath[UUID],
        positions: Positions,
        applications: Applications,
        profiles: Profiles,
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        position, access = await positions.get_for(viewer, position_id)
        page = await position_page(viewer, position, access, applications, profiles)
        return render(request, "talent/position.html", **page)

    @get("/positions/{position_id:uuid}/edit", name="talent-position-edit", guards=[requires_login])
    async def edit_form(self, request: Member, position_id: FromPath[UUID], positions: Positions) -> Template:
        position = await positions.get_to_manage(request.user, position_id)
        return render(
            request,
            "talent/position_form.html",
            mode="edit",
            position=position,
            form=position_form(position),
            **context(),
        )

    @post("/positions/{position_id:uuid}/edit", guards=[requires_login])
    async def update(
        self, request: Member, position_id: FromPath[UUID], data: Form, positions: Positions
    ) -> Response[Any]:
        async def page() -> dict[str, Any]:
            position = await positions.get_to_manage(request.user, position_id)
            return {"mode": "edit", "position": position, **context()}

        return await form_or_redirect(
            request,
            lambda: positions.update(
                request.user, position_id, data, publish=field(data, "action") == "publish"
            ),
            template="talent/position_form.html",
            form=form_of(data),
            done=_("Saved."),
            redirect_to=position_url(position_id),
            context=page,
        )

    @post("/positions/{position_id:uuid}/{step:str}", guards=[requires_login])
    async def step(
        self,
        request: Member,
        position_id: FromPath[UUID],
        step: FromPath[str],
        data: Form,
        positions: Positions,
    ) -> Redirect:
        """Publish a draft, close a position (its organization) or take it down (an admin); the service says
        who may, and a closing reason is read by every applicant still waiting."""
        user, reason = request.user, field(data, "reason")
        steps = {
            "publish": (lambda: positions.publish(user, position_id), _("Published. Members can apply now.")),
            "close": (
                lambda: positions.close(user, position_id, reason),
                _("Closed. Every applicant still waiting has been told why."),
            ),
            "take-down": (
                lambda: positions.take_down(user, position_id, reason),
                _("Taken down. The organization and the applicants have been told why."),
            ),
        }
        if step not in steps:
            raise NotFound
        run, done = steps[step]
        return await act(request, run, done=done, redirect_to=position_url(position_id))

    # --- applications --------------------------------------------------------------------------------------

    @post(
        "/positions/{position_id:uuid}/apply",
        guards=[requires_login],
        request_max_body_size=UPLOAD_MAX_BODY,
        middleware=limit_per_account("talent-apply", APPLY_RATE_PER_MINUTE),
    )
    async def apply(
        self,
        request: Member,
        position_id: FromPath[UUID],
        data: Multipart,
        positions: Positions,
        applications: Applications,
        profiles: Profiles,
    ) -> Response[Any]:
        filename, content = await read_upload(data, "cv", applications.cv_max_bytes)

        async def page() -> dict[str, Any]:
            position, access = await positions.get_for(request.user, position_id)
            return await position_page(request.user, position, access, applications, profiles)

        # Refused, the form comes back with the note kept (a browser cannot be given the file back).
        return await form_or_redirect(
            request,
            lambda: applications.apply(
                request.user, position_id, field(data, "cover_note"), filename, content
            ),
            template="talent/position.html",
            form=form_of(data),
            done=_("Sent. The organization will answer you; you will be notified."),
            redirect_to=position_url(position_id) + "#my-application",
            context=page,
        )

    @get("/applications/{application_id:uuid}/cv", name="talent-cv")
    async def cv(
        self, request: Visitor, application_id: FromPath[UUID], applications: Applications
    ) -> Response[bytes]:
        application, content = await applications.cv_for(request.scope.get("user"), application_id)
        return private_download(
            content,
            filename=f"cv-{application.id}.pdf",
            media_type="application/pdf",
            cache_control="private, no-store",
        )

    @post("/applications/{application_id:uuid}/{decision:str}", guards=[requires_login])
    async def answer(
        self,
        request: Member,
        application_id: FromPath[UUID],
        decision: FromPath[str],
        data: Form,
        applications: Applications,
    ) -> Redirect:
        application = await applications.get(application_id)
        url = position_url(application.position_id)
        if decision == "withdraw":
            return await act(
                request,
                lambda: applications.withdraw(request.user, application_id),
                done=_("Your application is withdrawn."),
                redirect_to=url + "#my-application",
            )
        status = ANSWER_STATUSES.get(decision)
        if status is None:
            raise NotFound
        return await act(
            request,
            lambda: applications.answer(request.user, application_id, status, field(data, "note")),
            done=_("Answered: %(status)s. The applicant has been told.", status=label(status)),
            redirect_to=url + "#applications",
        )
