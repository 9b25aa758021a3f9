"""The edge of every answer, in one layer: requests for another host refused, security headers added."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.enums import ScopeType
from litestar.middleware.allowed_hosts import AllowedHostsMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeadersMiddleware(AllowedHostsMiddleware):
    """Litestar's allowed hosts, whatever the port, then CSP, frame-ancestors, nosniff, referrer policy on
    every answer (the refusal of another host too); HSTS when served over https.

    The port in a Host header is the one the browser used (`make run PORT=9000`, a proxy's), and says
    nothing about whose site it is. Links in mail come from BASE_URL, never from the Host header."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )
    HEADERS: tuple[tuple[bytes, bytes], ...] = (
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    )
    HTTPS_HEADERS = (*HEADERS, (b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    # /schema (the API reference) is no exception: its viewer is served from /static and started from a
    # file there (community.web.openapi), so it needs no other origin and no inline code.

    def __init__(self, app: ASGIApp, config: AllowedHostsConfig) -> None:
        super().__init__(app, config)
        self.exclude_pattern = None  # every answer gets the headers; the hosts' exclusions are checked below
        self.host_exclusions = re.compile("|".join(config.exclude)) if config.exclude else None
        if self.allowed_hosts_regex is not None:
            names = (
                rf".*\.{re.escape(host[2:])}" if host.startswith("*.") else re.escape(host)
                for host in config.allowed_hosts
            )
            self.allowed_hosts_regex = re.compile(rf"(?:{'|'.join(sorted(names))})(?::\d+)?", re.IGNORECASE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        edge = self.HTTPS_HEADERS if scope.get("scheme") == "https" else self.HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # One pass over the answer's headers, then the missing ones added: what a handler set stays.
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _value in headers}
                if isinstance(headers, list):
                    headers.extend(header for header in edge if header[0] not in present)
                else:  # an immutable sequence: a new list
                    message["headers"] = [*headers, *(h for h in edge if h[0] not in present)]
            await send(message)

        if self.host_exclusions is not None and self.host_exclusions.search(scope["path"]):
            await self.app(scope, receive, send_with_headers)
            return
        await super().__call__(scope, receive, send_with_headers)
