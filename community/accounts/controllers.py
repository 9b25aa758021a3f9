"""Pages and API endpoints for accounts and organizations. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.guards import requires_login
from community.accounts.models import MemberRole, Organization, User
from community.accounts.schemas import MeOut, OrganizationOut
from community.accounts.services import AccountService, OrganizationInput, OrganizationService
from community.accounts.sessions import log_in
from community.config import Settings
from community.errors import FormError
from community.i18n import LOCALE_COOKIE, _, normalize_locale
from community.notifications.email import Mailer, MailError
from community.vocabulary import DISTRICTS, org_type_choices, org_type_label
from community.web import limit_per_address, render, safe_next

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: take the last, like a browser would
        value = value[-1] if value else ""
    return str(value)


def _absolute(request: Request[Any, Any, Any], path: str) -> str:
    return str(request.base_url).rstrip("/") + path


async def provide_accounts(db_session: NamedDependency[AsyncSession]) -> AccountService:
    return AccountService(db_session)


async def provide_organizations(db_session: NamedDependency[AsyncSession]) -> OrganizationService:
    return OrganizationService(db_session)


def provide_mailer(request: Request[Any, Any, Any]) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DEPENDENCIES = {
    "accounts": Provide(provide_accounts),
    "organizations": Provide(provide_organizations),
    "mailer": Provide(provide_mailer, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
}


def _login(request: Request[Any, Any, Any], user: User, response: Response[Any]) -> Response[Any]:
    log_in(request, user)
    if user.locale and not request.cookies.get(LOCALE_COOKIE):
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


class AuthController(Controller):
    dependencies = DEPENDENCIES

    @get("/register", name="register")
    async def register_form(
        self,
        request: Request[Any, Any, Any],
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Template:
        return render(request, "accounts/register.html", next=safe_next(next_, ""))

    @post("/register", middleware=limit_per_address("register", "register_rate_per_minute"))
    async def register(
        self, request: Request[Any, Any, Any], data: Form, accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        form = {k: _field(data, k) for k in ("email", "display_name", "next")}
        try:
            user = await accounts.register(
                form["email"],
                form["display_name"],
                _field(data, "password"),
                locale=normalize_locale(request.cookies.get(LOCALE_COOKIE)),
            )
        except FormError as exc:
            return render(
                request,
                "accounts/register.html",
                400,
                form=form,
                errors=exc.errors,
                next=safe_next(form["next"], ""),
            )
        flash(request, _("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
        return _login(request, user, Redirect(safe_next(form["next"], "/account")))

    @get("/login", name="login")
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Response[Any]:
        if request.scope.get("user"):
            return Redirect(safe_next(next_, "/"))
        return render(request, "accounts/login.html", next=safe_next(next_, ""))

    @post("/login", middleware=limit_per_address("login", "login_rate_per_minute"))
    async def login(
        self, request: Request[Any, Any, Any], data: Form, accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        form = {k: _field(data, k) for k in ("email", "next")}
        try:
            user = await accounts.authenticate(form["email"], _field(data, "password"))
        except FormError as exc:
            return render(
                request,
                "accounts/login.html",
                400,
                form=form,
                errors=exc.errors,
                next=safe_next(form["next"], ""),
            )
        return _login(request, user, Redirect(safe_next(form["next"], "/")))

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/")

    @get("/password/forgot", name="password_forgot")
    async def forgot_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "accounts/forgot.html")

    @post("/password/forgot", middleware=limit_per_address("reset", "reset_rate_per_minute"))
    async def forgot(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        accounts: NamedDependency[AccountService],
        mailer: NamedDependency[Mailer],
        settings: NamedDependency[Settings],
    ) -> Template:
        form = {"email": _field(data, "email")}
        try:
            await accounts.start_password_reset(
                form["email"],
                _absolute(request, "/password/reset"),
                mailer,
                settings.password_reset_ttl,
            )
        except FormError as exc:
            return render(request, "accounts/forgot.html", 400, form=form, errors=exc.errors)
        except MailError:
            return render(
                request,
                "accounts/forgot.html",
                503,
                form=form,
                errors={"email": _("We could not send the mail just now. Try again in a minute.")},
            )
        return render(request, "accounts/forgot.html", form=form, sent=True)

    @get("/password/reset/{token:str}", name="password_reset_form")
    async def reset_form(
        self, request: Request[Any, Any, Any], token: FromPath[str], accounts: NamedDependency[AccountService]
    ) -> Template:
        valid = await accounts.reset_token_is_valid(token)
        return render(request, "accounts/reset.html", 200 if valid else 400, token=token, valid=valid)

    @post("/password/reset/{token:str}", middleware=limit_per_address("reset", "reset_rate_per_minute"))
    async def reset(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        data: Form,
        accounts: NamedDependency[AccountService],
    ) -> Response[Any]:
        try:
            user = await accounts.reset_password(token, _field(data, "password"))
        except FormError as exc:
            return render(
                request,
                "accounts/reset.html",
                400,
                token=token,
                valid="token" not in exc.errors,
                errors=exc.errors,
            )
        flash(request, _("Your password is changed. You are logged in."), "success")
        return _login(request, user, Redirect("/account"))


class AccountController(Controller):
    path = "/account"
    dependencies = DEPENDENCIES
    guards = [requires_login]

    @get("/", name="account")
    async def show(
        self, request: Request[User, Any, Any], organizations: NamedDependency[OrganizationService]
    ) -> Template:
        memberships = await organizations.organizations_of(request.user)
        return render(
            request,
            "accounts/account.html",
            memberships=memberships,
            form={"display_name": request.user.display_name},
            org_type_label=org_type_label,
        )

    @post("/profile")
    async def update_profile(
        self,
        request: Request[User, Any, Any],
        data: Form,
        accounts: NamedDependency[AccountService],
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        form = {"display_name": _field(data, "display_name")}
        try:
            await accounts.update_profile(request.user.id, form["display_name"])
        except FormError as exc:
            memberships = await organizations.organizations_of(request.user)
            return render(
                request,
                "accounts/account.html",
                400,
                form=form,
                errors=exc.errors,
                memberships=memberships,
                org_type_label=org_type_label,
            )
        flash(request, _("Saved."), "success")
        return Redirect("/account")

    @post("/password")
    async def change_password(
        self,
        request: Request[User, Any, Any],
        data: Form,
        accounts: NamedDependency[AccountService],
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        try:
            await accounts.change_password(
                request.user.id, _field(data, "current_password"), _field(data, "new_password")
            )
        except FormError as exc:
            memberships = await organizations.organizations_of(request.user)
            return render(
                request,
                "accounts/account.html",
                400,
                errors=exc.errors,
                memberships=memberships,
                form={"display_name": request.user.display_name},
                org_type_label=org_type_label,
            )
        # Every other session of this member ends (the epoch moved on); this one continues under a new id.
        log_in(request, await accounts.get_or_fail(request.user.id))
        flash(request, _("Your password is changed."), "success")
        return Redirect("/account")


def _org_form(data: dict[str, Any]) -> OrganizationInput:
    return OrganizationInput(**{k: _field(data, k) for k in OrganizationInput.__dataclass_fields__})


def _form_context(**extra: Any) -> dict[str, Any]:
    return {"org_types": org_type_choices(), "districts": [(d, d) for d in DISTRICTS], **extra}


class OrganizationController(Controller):
    path = "/orgs"
    dependencies = DEPENDENCIES

    @get("/", name="organizations")
    async def index(
        self,
        request: Request[Any, Any, Any],
        organizations: NamedDependency[OrganizationService],
        org_type: Annotated[str | None, QueryParameter(name="type")] = None,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        valid_types = {value for value, _label in org_type_choices()}
        chosen = org_type if org_type in valid_types else None
        per_page = 30
        orgs = await organizations.list_organizations(chosen, limit=per_page, offset=(page - 1) * per_page)
        total = await organizations.count(chosen)
        return render(
            request,
            "accounts/orgs/list.html",
            orgs=orgs,
            org_types=org_type_choices(),
            chosen=chosen,
            page=page,
            pages=max(1, -(-total // per_page)),
            total=total,
            org_type_label=org_type_label,
        )

    @get("/new", guards=[requires_login], name="organization_new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "accounts/orgs/form.html", **_form_context(mode="new"))

    @post("/new", guards=[requires_login])
    async def create(
        self,
        request: Request[User, Any, Any],
        data: Form,
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        org_input = _org_form(data)
        try:
            org = await organizations.create(request.user, org_input)
        except FormError as exc:
            return render(
                request,
                "accounts/orgs/form.html",
                400,
                form=org_input.__dict__,
                errors=exc.errors,
                **_form_context(mode="new"),
            )
        flash(
            request,
            _("The organization is created. Invite your colleagues from its members page."),
            "success",
        )
        return Redirect(f"/orgs/{org.slug}")

    @get("/{slug:str}", name="organization")
    async def show(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        organizations: NamedDependency[OrganizationService],
    ) -> Template:
        org = await organizations.by_slug(slug)
        role = await organizations.role_of(request.scope.get("user"), org)
        return render(request, "accounts/orgs/detail.html", org=org, role=role, org_type_label=org_type_label)

    @get("/{slug:str}/edit", guards=[requires_login])
    async def edit_form(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        organizations: NamedDependency[OrganizationService],
    ) -> Template:
        org = await organizations.by_slug(slug)
        await organizations.require_owner(request.user, org)
        form = {k: getattr(org, k) or "" for k in OrganizationInput.__dataclass_fields__}
        form["org_type"] = org.org_type.value
        return render(request, "accounts/orgs/form.html", org=org, form=form, **_form_context(mode="edit"))

    @post("/{slug:str}/edit", guards=[requires_login])
    async def update(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        data: Form,
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        org = await organizations.by_slug(slug)
        org_input = _org_form(data)
        try:
            org = await organizations.update(request.user, org, org_input)
        except FormError as exc:
            org = await organizations.by_slug(slug)  # fresh: a refused write rolled the session back
            return render(
                request,
                "accounts/orgs/form.html",
                400,
                org=org,
                form=org_input.__dict__,
                errors=exc.errors,
                **_form_context(mode="edit"),
            )
        flash(request, _("Saved."), "success")
        return Redirect(f"/orgs/{org.slug}")

    async def _members_page(
        self,
        request: Request[User, Any, Any],
        org: Organization,
        organizations: OrganizationService,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        role = await organizations.require_member(request.user, org)
        members = await organizations.members(org)
        is_owner = role is MemberRole.OWNER or request.user.is_admin
        invitations = await organizations.open_invitations(org) if is_owner else []
        return render(
            request,
            "accounts/orgs/members.html",
            status_code,
            org=org,
            role=role,
            members=members,
            invitations=invitations,
            is_owner=is_owner,
            roles=[r.value for r in MemberRole],
            **context,
        )

    @get("/{slug:str}/members", guards=[requires_login], name="organization_members")
    async def members(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        organizations: NamedDependency[OrganizationService],
    ) -> Template:
        org = await organizations.by_slug(slug)
        return await self._members_page(request, org, organizations)

    @post("/{slug:str}/invitations", guards=[requires_login])
    async def invite(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        data: Form,
        organizations: NamedDependency[OrganizationService],
        mailer: NamedDependency[Mailer],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        org = await organizations.by_slug(slug)
        form = {"email": _field(data, "email"), "role": _field(data, "role") or MemberRole.MEMBER.value}
        accept_url = _absolute(request, "/invitations")
        try:
            await organizations.invite(
                request.user,
                org,
                form["email"],
                form["role"],
                accept_url,
                mailer,
                settings.invitation_ttl_days,
            )
        except FormError as exc:
            return await self._members_page(request, org, organizations, 400, form=form, errors=exc.errors)
        except MailError:
            return await self._members_page(
                request,
                org,
                organizations,
                503,
                form=form,
                errors={"email": _("We could not send the mail just now. Try again in a minute.")},
            )
        flash(request, _("Invitation sent to %(email)s.", email=form["email"]), "success")
        return Redirect(f"/orgs/{org.slug}/members")

    @post("/{slug:str}/invitations/{invitation_id:uuid}/revoke", guards=[requires_login])
    async def revoke(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        invitation_id: FromPath[UUID],
        organizations: NamedDependency[OrganizationService],
    ) -> Redirect:
        org = await organizations.by_slug(slug)
        await organizations.revoke_invitation(request.user, org, invitation_id)
        flash(request, _("Invitation withdrawn."), "success")
        return Redirect(f"/orgs/{org.slug}/members")

    @post("/{slug:str}/members/{user_id:uuid}/remove", guards=[requires_login])
    async def remove_member(
        self,
        request: Request[User, Any, Any],
        slug: FromPath[str],
        user_id: FromPath[UUID],
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        org = await organizations.by_slug(slug)
        try:
            await organizations.remove_member(request.user, org, user_id)
        except FormError as exc:
            return await self._members_page(request, org, organizations, 400, errors=exc.errors)
        if user_id == request.user.id:
            flash(request, _("You left %(org)s.", org=org.name), "success")
            return Redirect("/account")
        flash(request, _("Member removed."), "success")
        return Redirect(f"/orgs/{org.slug}/members")


class InvitationController(Controller):
    path = "/invitations"
    dependencies = DEPENDENCIES

    @get("/{token:str}", name="invitation")
    async def show(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        organizations: NamedDependency[OrganizationService],
    ) -> Template:
        invitation = await organizations.invitation_by_token(token)
        user = request.scope.get("user")
        problem = organizations.invitation_problem(invitation, user)
        return render(
            request,
            "accounts/orgs/invitation.html",
            invitation=invitation,
            org=invitation.organization,
            token=token,
            problem=problem,
            org_type_label=org_type_label,
        )

    @post("/{token:str}", guards=[requires_login])
    async def accept(
        self,
        request: Request[User, Any, Any],
        token: FromPath[str],
        organizations: NamedDependency[OrganizationService],
    ) -> Response[Any]:
        try:
            org = await organizations.accept_invitation(request.user, token)
        except FormError as exc:
            invitation = await organizations.invitation_by_token(token)
            return render(
                request,
                "accounts/orgs/invitation.html",
                400,
                invitation=invitation,
                org=invitation.organization,
                token=token,
                problem=exc.errors["invitation"],
                org_type_label=org_type_label,
            )
        flash(request, _("Welcome to %(org)s.", org=org.name), "success")
        return Redirect(f"/orgs/{org.slug}/members")


class AccountsApiController(Controller):
    path = "/api/v1"
    dependencies = DEPENDENCIES
    tags = ["accounts"]

    @get("/me", guards=[requires_login])
    async def me(
        self, request: Request[User, Any, Any], organizations: NamedDependency[OrganizationService]
    ) -> MeOut:
        memberships = await organizations.organizations_of(request.user)
        return MeOut.from_user(request.user, memberships)

    @get("/organizations")
    async def organizations(
        self,
        organizations: NamedDependency[OrganizationService],
        org_type: Annotated[str | None, QueryParameter(name="type")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 30,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[OrganizationOut]:
        valid = {value for value, _label in org_type_choices()}
        orgs = await organizations.list_organizations(
            org_type if org_type in valid else None, limit=limit, offset=offset
        )
        return [OrganizationOut.from_model(o) for o in orgs]

    @get("/organizations/{slug:str}")
    async def organization(
        self, slug: FromPath[str], organizations: NamedDependency[OrganizationService]
    ) -> OrganizationOut:
        return OrganizationOut.from_model(await organizations.by_slug(slug))
