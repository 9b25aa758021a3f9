"""Talent pages: the open positions, one position (its applications for its organization, the applicant's own
application and the form to apply), posting and closing positions, the talent profile, the CV download."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from community.accounts.guards import requires_login
from community.accounts.models import User
from community.errors import Forbidden, FormError, NotFound
from community.i18n import _
from community.markup import markdown_html
from community.talent.controllers.deps import (
    APPLY_RATE_PER_MINUTE,
    DEPENDENCIES,
    UPLOAD_MAX_BODY,
    Form,
    Multipart,
    field,
    form_of,
    read_upload,
)
from community.talent.labels import choices, format_pay, format_place, label
from community.talent.models import (
    OPEN_APPLICATION_STATUSES,
    ApplicationStatus,
    EmploymentType,
    PositionStatus,
)
from community.talent.services.applications import ApplicationService, mb
from community.talent.services.common import position_url, today
from community.talent.services.positions import FORM_FIELDS, PositionFilters, PositionService, position_form
from community.talent.services.profiles import FIELDS as PROFILE_FIELDS
from community.talent.services.profiles import ProfileService, profile_form
from community.vocabulary import DISTRICTS
from community.web import limit_per_account, render

ANSWER_STATUSES = {
    "shortlist": ApplicationStatus.SHORTLISTED,
    "interview": ApplicationStatus.INTERVIEW,
    "offer": ApplicationStatus.OFFER,
    "decline": ApplicationStatus.DECLINED,
}


def _user(request: Request[Any, Any, Any]) -> User:
    user: User | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    return user


def _http(exc: Exception) -> Exception:
    return NotFoundException() if isinstance(exc, NotFound) else PermissionDeniedException()


def context() -> dict[str, Any]:
    return {
        "label": label,
        "format_pay": format_pay,
        "format_place": format_place,
        "employment_types": choices(EmploymentType),
        "districts": DISTRICTS,
        "today": today(),
        "open_statuses": [s.value for s in OPEN_APPLICATION_STATUSES],
        "markdown_html": markdown_html,
    }


class TalentController(Controller):
    path = "/talent"
    dependencies = DEPENDENCIES

    @get("/", name="talent")
    async def index(
        self,
        request: Request[Any, Any, Any],
        positions: NamedDependency[PositionService],
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        skill: Annotated[str | None, QueryParameter(max_length=100)] = None,
        district: Annotated[str | None, QueryParameter(max_length=40)] = None,
        type: Annotated[str | None, QueryParameter(max_length=20)] = None,
        remote: Annotated[bool, QueryParameter()] = False,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        filters = PositionFilters(
            q=q or "",
            skill=skill or "",
            district=district if district in DISTRICTS else "",
            employment_type=type if type in {t.value for t in EmploymentType} else "",
            remote=remote,
            page=page,
        )
        listing = await positions.list_open(filters)
        return render(request, "talent/index.html", listing=listing, filters=filters, **context())

    # --- the talent profile --------------------------------------------------------------------------------

    @get("/profile", name="talent-profile", guards=[requires_login])
    async def profile_page(
        self, request: Request[User, Any, Any], profiles: NamedDependency[ProfileService]
    ) -> Template:
        profile = await profiles.of_user(request.user.id)
        return render(
            request, "talent/profile.html", profile=profile, form=profile_form(profile), **context()
        )

    @post("/profile", guards=[requires_login])
    async def save_profile(
        self, request: Request[User, Any, Any], data: Form, profiles: NamedDependency[ProfileService]
    ) -> Response[Any]:
        try:
            await profiles.save(request.user, data)
        except FormError as exc:
            return render(
                request,
                "talent/profile.html",
                400,
                profile=await profiles.of_user(request.user.id),
                form=form_of(data, PROFILE_FIELDS),
                errors=exc.errors,
                **context(),
            )
        flash(request, _("Your talent profile is saved."), "success")
        return Redirect(
            field(data, "next") if field(data, "next").startswith("/talent/") else "/talent/profile"
        )

    # --- mine ----------------------------------------------------------------------------------------------

    @get("/mine", name="talent-mine", guards=[requires_login])
    async def mine(
        self,
        request: Request[User, Any, Any],
        positions: NamedDependency[PositionService],
        applications: NamedDependency[ApplicationService],
    ) -> Template:
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
        request: Request[User, Any, Any],
        positions: NamedDependency[PositionService],
        org: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        orgs = await positions.poster_organizations_of(request.user)
        form: dict[str, Any] = {
            "organization": org or (str(orgs[0].id) if orgs else ""),
            "employment_type": EmploymentType.FULL_TIME.value,
            "headcount": "1",
            "pay_mode": "range",
        }
        return render(request, "talent/position_form.html", mode="new", orgs=orgs, form=form, **context())

    @post("/positions/new", guards=[requires_login])
    async def create(
        self, request: Request[User, Any, Any], data: Form, positions: NamedDependency[PositionService]
    ) -> Response[Any]:
        orgs = await positions.poster_organizations_of(request.user)
        form = form_of(data, (*FORM_FIELDS, "organization"))
        publish = field(data, "action") == "publish"
        try:
            try:
                org_id = UUID(field(data, "organization"))
            except ValueError as exc:
                raise FormError({"organization": _("Choose one of your organizations.")}) from exc
            position = await positions.create(request.user, org_id, data, publish=publish)
        except FormError as exc:
            return render(
                request,
                "talent/position_form.html",
                400,
                mode="new",
                orgs=orgs,
                form=form,
                errors=exc.errors,
                **context(),
            )
        flash(
            request,
            _("Published. Members can apply now.")
            if publish
            else _("Draft saved. Publish it when it is ready."),
            "success",
        )
        return Redirect(position_url(position.id))

    @get("/positions/{position_id:uuid}", name="talent-position")
    async def show(
        self,
        request: Request[Any, Any, Any],
        position_id: FromPath[UUID],
        positions: NamedDependency[PositionService],
        applications: NamedDependency[ApplicationService],
        profiles: NamedDependency[ProfileService],
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        position, access = await positions.get_for(viewer, position_id)
        return await self._page(request, position, access, applications, profiles)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        position: Any,
        access: Any,
        applications: ApplicationService,
        profiles: ProfileService,
        status_code: int = 200,
        apply_form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Template:
        viewer: User | None = request.scope.get("user")
        views = await applications.for_position(position) if access.can_manage else []
        histories = await applications.history([v.application.id for v in views])
        own = await applications.of_applicant(viewer.id, position.id) if viewer else []
        own_histories = await applications.history([a.id for a in own])
        can_apply = (
            viewer is not None
            and not own
            and not access.is_member
            and position.status is PositionStatus.OPEN
            and not (position.deadline and position.deadline < today())
        )
        return render(
            request,
            "talent/position.html",
            status_code,
            position=position,
            access=access,
            description_html=markdown_html(position.description),
            views=views,
            histories=histories,
            own=own,
            own_histories=own_histories,
            can_apply=can_apply,
            my_profile=await profiles.of_user(viewer.id) if viewer else None,
            apply_form=apply_form or {},
            errors=errors or {},
            cv_max_mb=mb(applications.cv_max_bytes),
            **context(),
        )

    @get("/positions/{position_id:uuid}/edit", name="talent-position-edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        positions: NamedDependency[PositionService],
    ) -> Template:
        position, access = await positions.get_for(request.user, position_id)
        if not access.can_manage:
            raise PermissionDeniedException
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
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        data: Form,
        positions: NamedDependency[PositionService],
    ) -> Response[Any]:
        try:
            position, access = await positions.get_for(request.user, position_id)
            if not access.can_manage:
                raise Forbidden
            await positions.update(request.user, position_id, data)
            if field(data, "action") == "publish" and position.status is PositionStatus.DRAFT:
                await positions.publish(request.user, position_id)
        except FormError as exc:
            return render(
                request,
                "talent/position_form.html",
                400,
                mode="edit",
                position=position,
                form=form_of(data, FORM_FIELDS),
                errors=exc.errors,
                **context(),
            )
        except (NotFound, Forbidden) as exc:
            raise _http(exc) from exc
        flash(request, _("Saved."), "success")
        return Redirect(position_url(position_id))

    async def _act(
        self, request: Request[Any, Any, Any], position_id: UUID, action: Any, done: str
    ) -> Redirect:
        try:
            await action()
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except (NotFound, Forbidden) as exc:
            raise _http(exc) from exc
        else:
            flash(request, done, "success")
        return Redirect(position_url(position_id))

    @post("/positions/{position_id:uuid}/publish", guards=[requires_login])
    async def publish(
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        positions: NamedDependency[PositionService],
    ) -> Redirect:
        return await self._act(
            request,
            position_id,
            lambda: positions.publish(request.user, position_id),
            _("Published. Members can apply now."),
        )

    @post("/positions/{position_id:uuid}/close", guards=[requires_login])
    async def close(
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        data: Form,
        positions: NamedDependency[PositionService],
    ) -> Redirect:
        return await self._act(
            request,
            position_id,
            lambda: positions.close(request.user, position_id, field(data, "reason")),
            _("Closed. Every applicant still waiting has been told why."),
        )

    @post("/positions/{position_id:uuid}/take-down", guards=[requires_login])
    async def take_down(
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        data: Form,
        positions: NamedDependency[PositionService],
    ) -> Redirect:
        if not request.user.is_admin:
            raise PermissionDeniedException
        return await self._act(
            request,
            position_id,
            lambda: positions.take_down(request.user, position_id, field(data, "reason")),
            _("Taken down. The organization and the applicants have been told why."),
        )

    # --- applications --------------------------------------------------------------------------------------

    @post(
        "/positions/{position_id:uuid}/apply",
        guards=[requires_login],
        request_max_body_size=UPLOAD_MAX_BODY,
        middleware=limit_per_account("talent-apply", APPLY_RATE_PER_MINUTE),
    )
    async def apply(
        self,
        request: Request[User, Any, Any],
        position_id: FromPath[UUID],
        data: Multipart,
        positions: NamedDependency[PositionService],
        applications: NamedDependency[ApplicationService],
        profiles: NamedDependency[ProfileService],
    ) -> Response[Any]:
        filename, content = await read_upload(data, "cv", applications.cv_max_bytes)
        cover_note = field(data, "cover_note")
        try:
            await applications.apply(request.user, position_id, cover_note, filename, content)
        except FormError as exc:
            try:
                position, access = await positions.get_for(request.user, position_id)
            except NotFound as not_found:
                raise NotFoundException from not_found
            # The form comes back with the note kept (a browser cannot be given the file back).
            return await self._page(
                request,
                position,
                access,
                applications,
                profiles,
                400,
                apply_form={"cover_note": cover_note[:5000]},
                errors=exc.errors,
            )
        except NotFound as exc:
            raise NotFoundException from exc
        flash(request, _("Sent. The organization will answer you; you will be notified."), "success")
        return Redirect(position_url(position_id) + "#my-application")

    @get("/applications/{application_id:uuid}/cv", name="talent-cv")
    async def cv(
        self,
        request: Request[Any, Any, Any],
        application_id: FromPath[UUID],
        applications: NamedDependency[ApplicationService],
    ) -> File:
        application, path = await applications.cv_for(request.scope.get("user"), application_id)
        return File(
            path=path,
            filename=f"cv-{application.id}.pdf",
            media_type="application/pdf",
            content_disposition_type="attachment",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    @post("/applications/{application_id:uuid}/{decision:str}", guards=[requires_login])
    async def answer(
        self,
        request: Request[User, Any, Any],
        application_id: FromPath[UUID],
        decision: FromPath[str],
        data: Form,
        applications: NamedDependency[ApplicationService],
    ) -> Redirect:
        application = await applications.get(application_id)
        anchor = "#applications"
        try:
            if decision == "withdraw":
                await applications.withdraw(request.user, application_id)
                flash(request, _("Your application is withdrawn."), "success")
                anchor = "#my-application"
            elif decision in ANSWER_STATUSES:
                status = ANSWER_STATUSES[decision]
                await applications.answer(request.user, application_id, status, field(data, "note"))
                flash(
                    request,
                    _("Answered: %(status)s. The applicant has been told.", status=label(status)),
                    "success",
                )
            else:
                raise NotFoundException
        except FormError as exc:
            flash(request, " ".join(exc.errors.values()), "error")
        except (NotFound, Forbidden) as exc:
            raise _http(exc) from exc
        return Redirect(position_url(application.position_id) + anchor)
