"""Guards: who may reach a route at all. Finer checks (this member, this object) live in the services."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from community.accounts.models import User

# The request of a route behind ``requires_login``: ``request.user`` is the member.
Member: TypeAlias = Request[User, Any, Any]


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    if not user.is_admin:
        raise PermissionDeniedException
