"""Forms: reading what a browser sent, sending a form back with its fields kept, the limits on how often a
form may be sent, and the two shapes every form handler takes.

- ``act``: run one step (publish, withdraw, confirm ...), flash its outcome, redirect. A refused step
  (``FormError``) comes back as an error message on the page it was sent from.
- ``form_or_redirect``: run a save; when the service refuses it with a ``FormError``, render the form again
  with every field kept and each error beside its field (status 400); otherwise flash and redirect.

``NotFound`` and ``Forbidden`` are left to the site's exception handlers (a 404 or 403 page).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.params import Body
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from community.errors import FormError
from community.web.limits import WINDOW_SECONDS, client_address
from community.web.rendering import render

T = TypeVar("T")
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FIELD_KEEP_MAX = 20_000  # what is sent back of one field: enough for any form of the site
CSRF_FIELD = "_csrf_token"


def field(data: Mapping[str, Any], name: str) -> str:
    """One field as text. Sent twice, the last one wins (as in a browser); a file or nothing is ""."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def many(data: Mapping[str, Any], name: str) -> list[str]:
    """Every value of a field sent several times (checkboxes, a multiple select), empty ones left out."""
    value = data.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v]


def form_of(data: Mapping[str, Any], *lists: str) -> dict[str, Any]:
    """What was typed, to send the form back with every field kept: each field as text (cut at a size a
    form never needs), and the fields named in ``lists`` as lists."""
    form: dict[str, Any] = {
        key: field(data, key)[:FIELD_KEEP_MAX] for key in data if key not in lists and key != CSRF_FIELD
    }
    for name in lists:
        form[name] = many(data, name)
    return form


def errors_text(exc: FormError) -> str:
    """A refusal as one line, for a flash message."""
    return " ".join(exc.errors.values())


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The client's address as PostgreSQL's inet takes it, or None (a test client has none). Behind a
    trusted proxy, the address the proxy saw (TRUSTED_PROXIES, ``community.web.limits.client_address``)."""
    try:
        return str(ipaddress.ip_address(client_address(request.scope)))
    except ValueError:
        return None


def user_of(request: Request[Any, Any, Any]) -> Any:
    """The member signed in; a visitor is sent to log in."""
    user = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    return user


async def act(
    request: Request[Any, Any, Any],
    step: Callable[[], Awaitable[T]],
    *,
    done: str | Callable[[T], str],
    redirect_to: str | Callable[[T], str],
    refused_to: str | None = None,
) -> Redirect:
    """Run one step, flash its outcome, go on to ``redirect_to``. The message and the address may depend on
    what the step returned. A refused step flashes why and goes to ``refused_to`` (``redirect_to`` when
    that is a plain address)."""
    if refused_to is None:
        if callable(redirect_to):
            raise TypeError("act() needs refused_to when redirect_to depends on the step's result")
        refused_to = redirect_to
    try:
        result = await step()
    except FormError as exc:
        flash(request, errors_text(exc), "error")
        return Redirect(refused_to)
    flash(request, done(result) if callable(done) else done, "success")
    return Redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


async def form_or_redirect(
    request: Request[Any, Any, Any],
    save: Callable[[], Awaitable[T]],
    *,
    template: str,
    form: Mapping[str, Any],
    done: str | None,
    redirect_to: str | Callable[[T], str],
    context: Callable[[], Awaitable[Mapping[str, Any]]] | Mapping[str, Any] | None = None,
) -> Template | Redirect:
    """Run ``save``; refused, render ``template`` again with ``form`` kept and the errors beside their fields
    (400); saved, flash ``done`` (when given) and redirect (to a path, or one made from what ``save``
    returned)."""
    try:
        result = await save()
    except FormError as exc:
        extra: Mapping[str, Any]
        if callable(context):
            extra = await context()
        else:
            extra = context or {}
        return render(request, template, 400, **{**extra, "form": dict(form), "errors": exc.errors})
    if done:
        flash(request, done, "success")
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return Redirect(target)


# --- how often a form may be sent -------------------------------------------------------------------------


class _RateLimitMiddleware:
    """At most so many POSTs a minute per key (showing a form does not count). The limit is read from the
    app's settings when a request comes (so the app built from a settings object uses that object's values,
    not the environment's at import time); the count is one atomic increment shared by every process
    (``community.web.limits``), and the decision is made from the value it returned."""

    def __init__(
        self,
        app: ASGIApp,
        name: str,
        per_minute: Callable[[Any], int],
        per: str,
        methods: frozenset[str] = frozenset({"POST"}),
    ) -> None:
        self.app = app
        self.name = name
        self.per_minute = per_minute
        self.per = per
        self.methods = methods

    def _key(self, scope: Scope) -> str:
        if self.per == "account":
            user = scope.get("user")
            if user is not None:
                return f"{self.name}:account:{user.id}"
        return f"{self.name}:address:{client_address(scope)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") not in self.methods:
            await self.app(scope, receive, send)
            return
        litestar_app = scope["litestar_app"]
        settings = litestar_app.state.settings
        limit = self.per_minute(settings)
        if not settings.rate_limits_enabled or limit <= 0:
            await self.app(scope, receive, send)
            return
        hits, reset = await litestar_app.state.rate_counter.hit(self._key(scope), WINDOW_SECONDS)
        headers = {
            "RateLimit-Policy": f"{limit}; w={WINDOW_SECONDS}",
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(max(0, limit - hits)),
            "RateLimit-Reset": str(reset),
        }
        if hits > limit:
            raise TooManyRequestsException(headers=headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                response_headers = MutableScopeHeaders(message)
                for key, value in headers.items():
                    response_headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _limit(
    name: str, per_minute: int | str, per: str, methods: frozenset[str] = frozenset({"POST"})
) -> DefineMiddleware:
    if isinstance(per_minute, int):
        limit = per_minute
        return DefineMiddleware(
            _RateLimitMiddleware, name=name, per_minute=lambda _settings: limit, per=per, methods=methods
        )
    setting = per_minute
    return DefineMiddleware(
        _RateLimitMiddleware,
        name=name,
        per_minute=lambda settings: int(getattr(settings, setting)),
        per=per,
        methods=methods,
    )


def limit_per_address(name: str, per_minute: int | str) -> list[Any]:
    """Middleware for a route: at most ``per_minute`` posts a minute from one client address. A string
    names the setting that holds the limit (``"login_rate_per_minute"``)."""
    return [_limit(name, per_minute, "address")]


def limit_per_account(name: str, per_minute: int | str, *, reads: bool = False) -> list[Any]:
    """Middleware for a route: at most ``per_minute`` posts a minute from one account (one address for a
    visitor); with ``reads``, GETs count too (a lookup someone could run through a list of names)."""
    methods = frozenset({"POST", "GET", "HEAD"}) if reads else frozenset({"POST"})
    return [_limit(name, per_minute, "account", methods)]
