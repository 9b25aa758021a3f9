"""How large a request body may be: one decision for the whole site.

Every route takes at most ``max_text_body_bytes`` (forms and JSON: a few hundred KB is more than any form
needs, and a 10 MB body to a text route is only a way to make the server work). A route that takes files
(its ``data`` is the web kit's ``Multipart``) may take ``max_upload_body_bytes`` instead, unless it says
its own limit (``request_max_body_size=`` on the handler or its controller), which then wins. Litestar
answers a larger body with 413 before reading it (when the length is announced) or as soon as it passes the
limit; the site's error handlers make that a page or problem details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.plugins.base import ReceiveRoutePlugin
from litestar.routes import HTTPRoute
from litestar.types import Empty

if TYPE_CHECKING:
    from litestar.routes import BaseRoute


def takes_files(handler: HTTPRouteHandler) -> bool:
    """Whether the handler reads a multipart body (``data: Multipart``)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    kwarg = data.kwarg_definition if data is not None else None
    return isinstance(kwarg, BodyKwarg) and kwarg.media_type == RequestEncodingType.MULTI_PART


def own_limit(handler: HTTPRouteHandler) -> bool:
    """Whether the handler, or a controller or router it belongs to, sets its own body limit."""
    return any(
        layer.request_max_body_size is not Empty
        for layer in handler.ownership_layers
        if not isinstance(layer, Litestar)
    )


class UploadBodyLimit(ReceiveRoutePlugin):
    """Gives the routes that take files, and set no limit of their own, the upload limit; every other route
    keeps the app's text limit (``Litestar(request_max_body_size=...)``)."""

    def __init__(self, upload_max_bytes: int) -> None:
        self.upload_max_bytes = upload_max_bytes

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if takes_files(handler) and not own_limit(handler):
                handler.request_max_body_size = self.upload_max_bytes
                handler._resolved_request_max_body_size = Empty  # resolved again, with the new value
