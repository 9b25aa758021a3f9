"""Registering (finished from a mailed link), logging in and out, and resetting a forgotten password.

The register and forgot-password forms answer the same for any well-formed address, registered or not; the
mails go out through the job queue (``community.accounts.jobs``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.controllers.deps import DEPENDENCIES, Accounts, start_session, typed
from community.accounts.models import User
from community.config import Settings
from community.errors import FormError
from community.i18n import _, current_locale
from community.web import Form, Visitor, field, form_or_redirect, limit_per_address, render, safe_next


async def _log_in_or_form(
    request: Visitor,
    attempt: Callable[[], Awaitable[User]],
    *,
    template: str,
    form: Mapping[str, Any],
    redirect_to: str | Callable[[User], str],
    context: Mapping[str, Any],
    done: Callable[[User], str] | None = None,
) -> Response[Any]:
    """``form_or_redirect`` for the forms that end with the member logged in (register, log in, a new
    password): refused, the form again; accepted, the session starts and ``done`` is flashed."""
    logged_in: list[User] = []

    async def log_in() -> User:
        user = await attempt()
        if done is not None:
            flash(request, done(user), "success")
        logged_in.append(user)
        return user

    response = await form_or_redirect(
        request, log_in, template=template, form=form, done=None, redirect_to=redirect_to, context=context
    )
    return start_session(request, logged_in[0], response) if logged_in else response


class AuthController(Controller):
    dependencies = DEPENDENCIES

    @get("/register", name="register")
    async def register_form(
        self, request: Visitor, next_: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template:
        return render(request, "accounts/register.html", next=safe_next(next_, ""))

    @post("/register", middleware=limit_per_address("register", "register_rate_per_minute"))
    async def register(
        self, request: Visitor, data: Form, accounts: Accounts, settings: NamedDependency[Settings]
    ) -> Template:
        form = typed(data, "email", "display_name", "handle", "next")
        next_url = safe_next(form["next"], "")
        try:
            email = await accounts.request_registration(
                form["email"],
                form["display_name"],
                field(data, "password"),
                # The language the page was read in (chosen, or the browser's): mails and the site keep it.
                locale=current_locale(),
                next_url=next_url,
                ttl=settings.registration_ttl,
                handle=form["handle"],
            )
        except FormError as exc:
            # The form comes back with a free handle made from the name offered, when none was typed.
            suggested = "" if form["handle"] else await accounts.suggest_handle(form["display_name"])
            return render(
                request,
                "accounts/register.html",
                400,
                form=form,
                errors=exc.errors,
                next=next_url,
                suggested_handle=suggested,
            )
        # The same page whether the address has an account or not: its owner learns which from the mail.
        return render(request, "accounts/register.html", form={"email": email}, sent=True, next=next_url)

    @get("/register/confirm/{token:str}", name="register_confirm")
    async def confirm_form(self, request: Visitor, token: FromPath[str], accounts: Accounts) -> Template:
        # Opening the link changes nothing (mail programs open links to preview them); the button does.
        pending = await accounts.pending_registration(token)
        return render(request, "accounts/confirm.html", 200 if pending else 400, token=token, pending=pending)

    @post(
        "/register/confirm/{token:str}",
        middleware=limit_per_address("register_confirm", "register_rate_per_minute"),
    )
    async def confirm(self, request: Visitor, token: FromPath[str], accounts: Accounts) -> Response[Any]:
        going_to: list[str] = []

        async def finish() -> User:
            user, next_url = await accounts.confirm_registration(token)
            going_to.append(safe_next(next_url, "/account"))
            return user

        return await _log_in_or_form(
            request,
            finish,
            template="accounts/confirm.html",
            form={},
            redirect_to=lambda _user: going_to[0],
            context={"token": token, "pending": None},
            done=lambda user: _("Welcome, %(name)s! Your account is ready.", name=user.display_name),
        )

    @get("/login", name="login")
    async def login_form(
        self, request: Visitor, next_: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Response[Any]:
        if request.scope.get("user"):
            return Redirect(safe_next(next_, "/"))
        return render(request, "accounts/login.html", next=safe_next(next_, ""))

    @post("/login", middleware=limit_per_address("login", "login_rate_per_minute"))
    async def login(self, request: Visitor, data: Form, accounts: Accounts) -> Response[Any]:
        form = typed(data, "email", "next")
        return await _log_in_or_form(
            request,
            lambda: accounts.authenticate(form["email"], field(data, "password")),
            template="accounts/login.html",
            form=form,
            redirect_to=safe_next(form["next"], "/"),
            context={"next": safe_next(form["next"], "")},
        )

    @post("/logout", name="logout")
    async def logout(self, request: Visitor) -> Redirect:
        request.clear_session()
        return Redirect("/")

    @get("/password/forgot", name="password_forgot")
    async def forgot_form(self, request: Visitor) -> Template:
        return render(request, "accounts/forgot.html")

    @post("/password/forgot", middleware=limit_per_address("reset", "reset_rate_per_minute"))
    async def forgot(self, request: Visitor, data: Form, accounts: Accounts) -> Template:
        form = typed(data, "email")
        try:
            form["email"] = await accounts.start_password_reset(form["email"])
        except FormError as exc:
            return render(request, "accounts/forgot.html", 400, form=form, errors=exc.errors)
        # The same answer, in the same time, whether the address is registered or not: the job finds out.
        return render(request, "accounts/forgot.html", form=form, sent=True)

    @get("/password/reset/{token:str}", name="password_reset_form")
    async def reset_form(self, request: Visitor, token: FromPath[str], accounts: Accounts) -> Template:
        valid = await accounts.reset_token_is_valid(token)
        return render(request, "accounts/reset.html", 200 if valid else 400, token=token, valid=valid)

    @post("/password/reset/{token:str}", middleware=limit_per_address("reset", "reset_rate_per_minute"))
    async def reset(
        self, request: Visitor, token: FromPath[str], data: Form, accounts: Accounts
    ) -> Response[Any]:
        return await _log_in_or_form(
            request,
            lambda: accounts.reset_password(token, field(data, "password")),
            template="accounts/reset.html",
            form={},
            redirect_to="/account",
            context={"token": token, "valid": True},  # a refused token shows its error instead of the form
            done=lambda _user: _("Your password is changed. You are logged in."),
        )
