"""HEAD is answered wherever GET is: the same status and headers (security headers, Content-Length,
Cache-Control), no body.

Litestar routes HEAD only to handlers declared for it, and refuses a HEAD handler that returns a body, so
``HEAD /`` answered 405. Uptime checkers, link checkers and some proxies ask HEAD. Rather than declare HEAD
on every handler, the app's request handler is wrapped: a HEAD request goes through routing, middleware and
the page cache as the GET it stands for, and the body of the answer is dropped on the way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"

        async def send_without_body(message: Message) -> None:
            # The server reads the method of its scope when it frames the answer: HEAD again, so that it
            # sends the headers (Content-Length included) and expects no body.
            scope["method"] = "HEAD"
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body: nothing of it goes out
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_without_body)
