"""Server-side sessions and the signed-in user on every request.

Sessions live in a Litestar store: PostgreSQL by default, Redis when REDIS_URL is set. The session id
is rotated at login (no session fixation) and the stored session is deleted at logout. A session that a
request did not change is not written back, so reading pages costs no writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty
from sqlalchemy import select

from community.accounts.models import User
from community.notifications.services import unread_count_query

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Message, Receive, Scope, ScopeSession, Send

SESSION_USER_KEY = "uid"
SESSION_EPOCH_KEY = "ep"
ROTATE_KEY = "_rotate"
_NEW_ID_SCOPE_KEY = "_community_new_session_id"
_LOADED_SCOPE_KEY = "_community_loaded_session"


class CommunitySessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED_SCOPE_KEY] = dict(data)  # type: ignore[literal-required]
        return data

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        new_id = connection.scope.get(_NEW_ID_SCOPE_KEY)
        return str(new_id) if new_id else super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        had_cookie = bool(connection.cookies.get(self.config.key))
        if not isinstance(scope_session, dict):  # Empty (cleared) or never loaded
            if had_cookie:
                await super().store_in_message(Empty, message, connection)
            return
        if scope_session.pop(ROTATE_KEY, False):
            store = self.config.get_store_from_app(connection.scope["litestar_app"])
            if old_id := connection.cookies.get(self.config.key):
                await self.delete(old_id, store=store)
            connection.scope[_NEW_ID_SCOPE_KEY] = self.generate_session_id()  # type: ignore[literal-required]
        elif scope_session == connection.scope.get(_LOADED_SCOPE_KEY) and (had_cookie or not scope_session):
            return  # unchanged: nothing to write
        await super().store_in_message(scope_session, message, connection)


@dataclass
class CommunitySessionConfig(ServerSideSessionConfig):
    _backend_class = CommunitySessionBackend


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any], **values: Any) -> None:
    """Start a fresh session (new id) holding ``values``; the old session is deleted."""
    connection.clear_session()
    connection.set_session({**values, ROTATE_KEY: True})


def log_in(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> None:
    """A fresh session for ``user`` (no session fixation), valid until logout or a password change."""
    rotate_session(connection, **{SESSION_USER_KEY: str(user.id), SESSION_EPOCH_KEY: user.session_epoch})


class CurrentUserMiddleware(ASGIMiddleware):
    """Puts the signed-in, active user (or None) into ``scope["user"]`` for every request."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/healthz")

    def __init__(self, alchemy_config: SQLAlchemyAsyncConfig) -> None:
        self.alchemy_config = alchemy_config

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user: User | None = None
        unread = 0
        raw_session = scope.get("session")
        session: dict[str, Any] = raw_session if isinstance(raw_session, dict) else {}
        raw_id = session.get(SESSION_USER_KEY)
        if raw_id:
            try:
                user_id = UUID(str(raw_id))
            except ValueError:
                user_id = None
            if user_id is not None:
                async with self.alchemy_config.get_session() as db:
                    # One round trip: the member and the unread count the header shows.
                    row = (
                        await db.execute(
                            select(User, unread_count_query(user_id)).where(  # type: ignore[call-overload]
                                User.id == user_id, User.is_active.is_(True)
                            )
                        )
                    ).first()
                if row is not None:
                    user, unread = row
                if user is not None and session.get(SESSION_EPOCH_KEY, 0) != user.session_epoch:
                    user, unread = None, 0  # the password changed since this session began
        scope["user"] = user
        scope["unread_notifications"] = unread  # type: ignore[typeddict-unknown-key]
        await next_app(scope, receive, send)
