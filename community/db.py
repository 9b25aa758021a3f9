"""Database wiring: the SQLAlchemy config the app and the CLI share, the base model, the key/value table.

PostgreSQL is the one system of record. Every domain model derives from ``Base`` (UUID primary key,
``created_at`` and ``updated_at`` audit columns from advanced-alchemy).
"""

from __future__ import annotations

import select
import time
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg
from advanced_alchemy.base import UUIDAuditBase, orm_registry
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    async_autocommit_handler_maker,
)
from advanced_alchemy.extensions.litestar.store import StoreModelMixin
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.util import await_

from community.config import ALEMBIC_INI, MIGRATIONS_DIR

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

    from community.config import Settings

__all__ = ("Base", "StoreItem", "import_models", "make_alchemy_config", "metadata", "single_statement_engine")

Base = UUIDAuditBase
metadata = orm_registry.metadata


class StoreItem(StoreModelMixin):
    """Key/value rows behind Litestar's stores: server-side sessions and rate-limit counters.

    Kept in PostgreSQL so that every app process sees the same sessions and counters; Redis takes
    over when REDIS_URL is set.
    """

    __tablename__ = "store_item"


def import_models() -> None:
    """Import the models of the platform and of every zone (``<zone package>.models``, the layout's
    convention), so that the metadata (and Alembic) knows all tables."""
    import importlib
    import importlib.util

    import community.jobs.models  # noqa: F401
    from community.app import ZONES

    importlib.import_module("community.storage")  # upload_chunk: the uploads every process shares
    for zone in ZONES:
        name = f"community.{zone}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def upgrade_schema(url: str) -> None:
    """Bring the database at ``url`` to the newest migration (tests and bench; the CLI has its own command).

    Alembic runs its own event loop: call this from a thread without a running loop."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


def connect_args(settings: Settings) -> dict[str, Any]:
    """What each new connection of the pool is opened with.

    Behind PgBouncer in transaction mode (``DATABASE_PGBOUNCER``) a connection's transactions may each run on
    another server connection, so a prepared statement must not be kept for later (asyncpg's statement cache
    and SQLAlchemy's are off) nor be named by a counter that restarts with every client connection (two
    clients' "__asyncpg_stmt_1__" would meet on one server connection): each gets a random name. SQLAlchemy
    runs every statement inside a transaction, so a statement is prepared and run on the same server
    connection. Session state (SET, LISTEN, session advisory locks) is not used by the pool's connections."""
    args: dict[str, Any] = {"timeout": 5, "server_settings": {"application_name": "community"}}
    if settings.database_pgbouncer:
        args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _statement_name,
        }
    return args


def single_statement_engine(config: SQLAlchemyAsyncConfig, *, pgbouncer: bool) -> AsyncEngine:
    """The engine for a read of one statement made outside any request's transaction (the reader's session and
    member, before the handler runs).

    Straight to PostgreSQL it runs in AUTOCOMMIT: no BEGIN and COMMIT around it, the statement is the round
    trip. Behind PgBouncer in transaction mode it must stay inside a transaction: asyncpg prepares a statement
    in one exchange and binds it in the next, and outside a transaction PgBouncer may hand the second exchange
    to another server connection, where the statement does not exist. The pool's engine begins one itself.

    A read made while a request holds its transaction goes through that request's own session instead
    (``community.web.fragments``): one request never holds two connections, which behind PgBouncer (a few
    server connections shared by every process) could leave every server connection held by a request that
    waits for another."""
    engine = config.get_engine()
    if pgbouncer:
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """The app's engine: SQLAlchemy's, each pooled connection checked when taken (``check_on_checkout``)."""
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _mark_fresh)
    event.listen(engine.sync_engine, "checkin", _mark_returned)
    event.listen(engine.sync_engine, "checkout", check_on_checkout)
    return engine


# A connection returned to the pool less than this long ago is not pinged when nothing came from the server
# since: under load every connection comes back within milliseconds, and a request then pays no round trip
# for the check. Longer idle, it is pinged (a connection lost without a word, e.g. by a firewall).
RECENT_SECONDS = 2.0

_FRESH = "community_fresh"
_RETURNED_AT = "community_returned_at"


def _mark_fresh(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_FRESH] = True


def _mark_returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _server_said_something(driver: asyncpg.Connection) -> bool:
    """Whether bytes (or the end of the stream) wait on the connection's socket that asyncpg has not read:
    between statements PostgreSQL sends nothing unasked but its last words (``FATAL: terminating connection``,
    then the end of the stream) or, rarely, a notice. One ``poll`` of the socket, no round trip. True when it
    cannot tell (no socket to look at): the caller then pings."""
    transport = getattr(driver, "_transport", None)  # asyncpg has no public accessor for it
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def check_on_checkout(
    dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Make sure a connection taken from the pool still reaches the database, so that one that died
    (PostgreSQL restarted, its backend was terminated, PgBouncer restarted) is replaced before a request uses
    it, and the app recovers by itself once the database is back.

    SQLAlchemy's ``pool_pre_ping`` does this for asyncpg as ``BEGIN``, ``SELECT`` of nothing, ``ROLLBACK``
    on every checkout: three round trips (the transaction keeps asyncpg's prepare and bind on one server
    connection behind PgBouncer), a third of a member's page's CPU (each round trip is a send and a wake-up).
    Here:

    - a connection just opened is not checked (as with ``pool_pre_ping``);
    - one asyncpg already knows is closed (it read the backend's last words) is replaced at once;
    - one returned less than ``RECENT_SECONDS`` ago, with nothing from the server waiting on its socket, is
      handed out unchecked: a backend that ended (terminated, or PostgreSQL or PgBouncer stopped) has sent its
      ``FATAL`` and closed the stream before it is gone, and that is what the socket shows;
    - any other is pinged with ``SELECT 1`` in the simple query protocol: one message and one answer, nothing
      prepared, its own implicit transaction (so PgBouncer in transaction mode runs it whole on one server
      connection): one round trip.

    A connection found dead marks every connection pooled before it as dead (``InvalidatePoolError``, as
    ``pool_pre_ping`` does): a restart kills them all, and the pool opens a new one for this checkout."""
    if record.info.pop(_FRESH, False):
        return
    driver = dbapi_connection.driver_connection
    if driver.is_closed():
        raise exc.InvalidatePoolError("the connection was closed")
    returned_at = record.info.get(_RETURNED_AT)
    recent = returned_at is not None and time.monotonic() - returned_at < RECENT_SECONDS
    if recent and not _server_said_something(driver):
        return
    try:
        await_(driver.execute("SELECT 1"))
    except Exception as error:
        if driver.is_closed() or isinstance(error, OSError | asyncpg.exceptions.ConnectionDoesNotExistError):
            raise exc.InvalidatePoolError(f"the ping failed: {error!r}") from error
        raise


def _statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


# The app's engine's option: a DriverStatement run before its session began a transaction runs without one
# (straight to PostgreSQL; not behind PgBouncer, see DriverStatement). Engines without it begin one.
READS_OUTSIDE_TRANSACTION = "community_reads_outside_transaction"


def make_alchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    import_models()
    config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        # No pool_pre_ping: check_on_checkout checks each connection taken, mostly without a round trip.
        engine_config=EngineConfig(
            pool_pre_ping=False,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_pool_size // 2,
            pool_timeout=5,
            echo=settings.database_echo,
            connect_args=connect_args(settings),
            execution_options={READS_OUTSIDE_TRANSACTION: not settings.database_pgbouncer},
        ),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR),
            script_config=str(ALEMBIC_INI),
            version_table_name="alembic_version",
        ),
        create_all=False,
        create_engine_callable=create_engine,
    )
    # Commit when the handler answered 2xx or redirected (a form posted, then redirected); roll back
    # otherwise. advanced-alchemy gives each config in a process its own scope key (a second app in the
    # same process gets "..._1"), so the handler must be made with the key this config ended up with.
    config.before_send_handler = async_autocommit_handler_maker(
        commit_on_redirect=True, session_scope_key=config.session_scope_key
    )
    return config


class DriverStatement:
    """A read of one row, compiled once per process and run on the driver of the request's own connection.

    Building, keying and compiling a statement, and turning its row into objects through a session's result
    machinery, cost a member's page more CPU than the round trip saved by making it one statement. The row
    comes back as a list: each mapped class of ``parts`` as a detached instance with every column loaded
    (nothing on it is lazy; it is not in the session), or None when its primary key is NULL (an outer join
    found no row of it); each ``None`` of ``parts`` as one plain value.

    It runs on the session's connection (one request holds one connection), or with ``fetchrow_on`` on a
    connection of its own made before any session (the reader's statement, ``single_statement_engine``).
    Behind PgBouncer in transaction mode it runs in a transaction, the session's (begun first if the session
    has not run anything yet, as the session's own statements do) or its own connection's: asyncpg prepares
    and binds on the same server connection (``connect_args``). Straight to PostgreSQL (the engine's
    ``READS_OUTSIDE_TRANSACTION``) a read made before the session began one runs alone: a page whose only
    statement it is then costs no BEGIN and COMMIT (two round trips), and the session's later statements
    begin their transaction as ever (each statement of a READ COMMITTED transaction reads its own snapshot,
    so nothing a reader sees changes)."""

    def __init__(self, statement: Any, parts: list[type[Any] | None]) -> None:
        self.statement = statement
        self.parts = parts
        self._compiled = False
        self.sql = ""
        self._names: list[str] = []
        self._defaults: dict[str, Any] = {}
        self._binds: dict[str, Any] = {}
        self._readers: list[tuple[Any, list[str], list[Any]]] = []
        self._keys: dict[type[Any], int] = {}  # where each model's primary key is among its columns

    @staticmethod
    def columns_of(model: type[Any]) -> list[Any]:
        """The model's columns in the order ``parts`` reads them (its mapped attributes' order)."""
        return [prop.columns[0] for prop in model.__mapper__.column_attrs]

    def _compile(self, dialect: Any) -> None:
        compiled = self.statement.compile(dialect=dialect)
        names = list(compiled.positiontup or ())
        expanding = [name for bind, name in compiled.bind_names.items() if bind.expanding]
        if expanding:  # IN (a list) is expanded per execution, which a statement compiled once cannot do
            raise ValueError(f"a DriverStatement cannot expand {expanding}")
        results = [
            column_type._cached_result_processor(dialect, None)
            for _key, _name, _objects, column_type in compiled._result_columns
        ]
        readers: list[tuple[Any, list[str], list[Any]]] = []
        start = 0
        for part in self.parts:
            if part is None:
                readers.append((None, [], results[start : start + 1]))
                start += 1
            else:
                props = list(part.__mapper__.column_attrs)
                keys = [prop.key for prop in props]
                primary = part.__mapper__.primary_key[0]
                self._keys[part] = next(i for i, prop in enumerate(props) if prop.columns[0] is primary)
                readers.append((part, keys, results[start : start + len(keys)]))
                start += len(keys)
        if start != len(results):
            raise ValueError(f"the statement has {len(results)} columns, its parts {start}")
        self._names = names
        self._defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()}
        self._binds = {name: fn for name, fn in compiled._bind_processors.items() if name in names}
        self._readers = readers
        self.sql = str(compiled)
        self._compiled = True

    async def fetchrow(self, session: Any, values: dict[str, Any]) -> list[Any] | None:
        """The first row for ``values`` (bound parameters by name), or None, on the session's connection."""
        return await self.fetchrow_on(await session.connection(), values)

    async def fetchrow_on(self, connection: Any, values: dict[str, Any]) -> list[Any] | None:
        """The same on a connection of the app's engine, or of one made from it (single_statement_engine)."""
        if not self._compiled:
            self._compile(connection.dialect)
        pooled = await connection.get_raw_connection()
        adapted = pooled.dbapi_connection
        if adapted._transaction is None and not connection.sync_connection.get_execution_options().get(
            READS_OUTSIDE_TRANSACTION
        ):
            await adapted._start_transaction()  # as SQLAlchemy's cursor does before its first statement
        arguments = []
        for name in self._names:
            value = values[name] if name in values else self._defaults.get(name)
            processor = self._binds.get(name)
            arguments.append(processor(value) if processor is not None and value is not None else value)
        row = await pooled.driver_connection.fetchrow(self.sql, *arguments)
        return None if row is None else self.read(row)

    def read(self, row: Any) -> list[Any]:
        found: list[Any] = []
        index = 0
        for model, keys, processors in self._readers:
            if model is None:
                raw = row[index]
                processor = processors[0]
                found.append(processor(raw) if processor is not None and raw is not None else raw)
                index += 1
                continue
            if row[index + self._keys[model]] is None:  # no row of it (an outer join found none)
                found.append(None)
                index += len(keys)
                continue
            instance = model.__mapper__.class_manager.new_instance()
            values = instance_state(instance).dict
            for key, processor in zip(keys, processors, strict=True):
                raw = row[index]
                values[key] = processor(raw) if processor is not None and raw is not None else raw
                index += 1
            make_transient_to_detached(instance)
            found.append(instance)
        return found
