"""Server-side sessions and the signed-in user on every request.

Sessions live in a Litestar store: PostgreSQL by default, Redis when REDIS_URL is set. The session id
is rotated at login (no session fixation) and the stored session is deleted at logout. A session that a
request did not change is not written back, so reading pages costs no writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty
from sqlalchemy import String, and_, bindparam, case, cast, func, literal, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from community import i18n
from community.accounts.models import User
from community.db import DriverStatement, StoreItem, single_statement_engine
from community.notifications.models import Notification
from community.notifications.services import UNREAD_COUNT_CAP
from community.web.fragments import VERSION_SCOPE_KEY, version_query

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
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


UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# Paths that need no reader: files, and the probes and metrics machines ask for (they get the language only).
_NO_READER = re.compile(r"^/(?:static/|favicon\.ico$)")
_NO_SESSION = re.compile(r"^/(?:healthz|livez|readyz|metrics)$")


def _unread_of_user() -> Any:
    """The member's unread count (capped), correlated with the user row of the request's one query."""
    capped = (
        select(Notification.id)
        .where(Notification.recipient_id == User.id, Notification.read_at.is_(None))
        .limit(UNREAD_COUNT_CAP)
        .correlate(User)
        .subquery()
    )
    return select(func.count()).select_from(capped).scalar_subquery()


def _reader_select(shape: str) -> Any:
    """The request's one statement: the session's row (``in_database``: sessions in PostgreSQL) or the member
    named by a session read elsewhere (``by_id``), the active member, their unread count, the content version.
    Parameters: ``namespace`` and ``session_id``, or ``user_id``."""
    one = select(literal(1).label("one")).subquery("one")
    columns: list[Any] = [*DriverStatement.columns_of(User), _unread_of_user(), version_query()]
    if shape == "in_database":
        stored = (
            select(StoreItem.value.label("value"))
            .where(
                StoreItem.namespace == bindparam("namespace", type_=String),
                StoreItem.key == bindparam("session_id", type_=String),
                StoreItem.expires_at > func.now(),
            )
            .subquery("stored")
        )
        uid = func.convert_from(stored.c.value, "UTF8").cast(JSONB)[SESSION_USER_KEY].astext
        member = case((uid.op("~")(UUID_PATTERN), cast(uid, PG_UUID(as_uuid=True))), else_=None)
        return (
            select(stored.c.value, *columns)
            .select_from(one)
            .outerjoin(stored, true())
            .outerjoin(User, and_(User.id == member, User.is_active.is_(True)))
        )
    user_id = bindparam("user_id", type_=PG_UUID(as_uuid=True))
    return (
        select(literal(None).label("value"), *columns)
        .select_from(one)
        .outerjoin(User, and_(User.id == user_id, User.is_active.is_(True)))
    )


# The request's one statement as a ``DriverStatement``: the session's row, the member (None when no active
# account matched), their unread count, the content version. Compiled once per process and run on the pooled
# connection's driver: what SQLAlchemy would do per request to build, key and compile it, and to hydrate the
# member through a session, was most of a member's page's CPU.
_READER_PARTS: list[type[Any] | None] = [None, User, None, None]


class ReaderMiddleware(SessionMiddleware[CommunitySessionBackend]):
    """Who is reading, in one layer and one database round trip: the session, the signed-in active member
    (or None) in ``scope["user"]``, their unread count and the content version of the shared fragments
    (``community.web.fragments``); then the language (``i18n.resolve_locale``), with ``Vary`` on the answer.

    The session's row, the member, the count and the version are one statement (sessions in PostgreSQL), or
    one statement after the session's read from Redis. A session whose epoch is not the member's (password
    changed, logged out everywhere) or whose member was suspended gives no member: the row is read on every
    request, so no process can serve a stale member.
    """

    def __init__(
        self,
        app: ASGIApp,
        backend: CommunitySessionBackend,
        alchemy_config: SQLAlchemyAsyncConfig,
        pgbouncer: bool = False,
    ) -> None:
        super().__init__(app, backend)
        self.alchemy_config = alchemy_config
        self.pgbouncer = pgbouncer
        self._engine: Any = None
        # The app's before-send (community.db.make_alchemy_config): commit on 2xx/3xx, else roll back; close.
        handler = alchemy_config.before_send_handler
        assert callable(handler)
        self._end_transaction: Any = handler
        self._statements: dict[str, DriverStatement] = {}

    def _single_statement_engine(self) -> Any:
        # Made on first use: the app's engine exists once the plugin has started.
        if self._engine is None:
            self._engine = single_statement_engine(self.alchemy_config, pgbouncer=self.pgbouncer)
        return self._engine

    async def _read(self, connection: ASGIConnection[Any, Any, Any, Any], session_id: str | None) -> Any:
        """(session bytes or None, member or None, unread, version) in one statement."""
        store = self.backend.config.get_store_from_app(connection.scope["litestar_app"])
        engine = self._single_statement_engine()
        if isinstance(store, SQLAlchemyStore) and not self.backend.config.renew_on_access:
            statement = self._statement("in_database")
            values: dict[str, Any] = {"namespace": store.namespace, "session_id": session_id or ""}
            raw = None
        else:
            raw = await self.backend.get(session_id, store=store) if session_id else None
            data = self.backend.deserialize_data(raw) if raw else {}
            try:
                user_id: UUID | None = UUID(str(data.get(SESSION_USER_KEY)))
            except ValueError:
                user_id = None
            statement = self._statement("by_id")
            values = {"user_id": user_id}
        # Behind PgBouncer it runs in a transaction (begun by fetchrow_on, ended when the connection goes back
        # to the pool), so that it is prepared and run on one server connection.
        async with engine.connect() as conn:
            row = await statement.fetchrow_on(conn, values)
        assert row is not None  # one row always: the statement selects from one row and joins the rest
        value, user, unread, version = row
        return (value if raw is None else raw), user, unread or 0, version

    def _statement(self, shape: str) -> DriverStatement:
        found = self._statements.get(shape)
        if found is None:
            found = self._statements[shape] = DriverStatement(_reader_select(shape), _READER_PARTS)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or _NO_READER.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = ASGIConnection[Any, Any, Any, Any](scope, receive=receive, send=send)
        user: User | None = None
        unread = 0
        session: dict[str, Any] = {}
        if _NO_SESSION.match(scope["path"]):
            scope[_LOADED_SCOPE_KEY] = {}  # type: ignore[literal-required]
        else:
            raw, user, unread, version = await self._read(
                connection, connection.cookies.get(self.backend.config.key)
            )
            scope[VERSION_SCOPE_KEY] = version  # type: ignore[literal-required]
            session = self.backend.deserialize_data(raw) if raw else {}
            scope[_LOADED_SCOPE_KEY] = dict(session)  # type: ignore[literal-required]
            if user is not None and session.get(SESSION_EPOCH_KEY, 0) != user.session_epoch:
                user, unread = None, 0  # the password changed since this session began
        scope["session"] = session
        connection._connection_state.session_id = self.backend.get_session_id(connection)
        scope["user"] = user
        scope["unread_notifications"] = unread  # type: ignore[typeddict-unknown-key]
        token = i18n.enter_locale(connection)
        store_session = self.create_send_wrapper(connection)
        end_transaction = self._end_transaction

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                i18n.vary_on_language(message)
                # The request's transaction ends (committed or rolled back, as the app's before-send would)
                # before a changed session is stored through another connection: one request never holds
                # two connections at once (community.db.single_statement_engine says why that matters).
                await end_transaction(message, scope)
                await store_session(message)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_varying)
        finally:
            i18n.leave_locale(token)
