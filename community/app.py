"""create_app(): the platform's wiring (sessions, CSRF, stores, page cache, search backend, mailer, embedder,
workers) and the list of zones. Each zone declares what it brings in its ``__init__.py``
(``community.zones.Zone``); ``ZonesPlugin`` wires it in. Adding a zone is one line in ``ZONES``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from babel.dates import format_datetime
from jinja2 import Environment, FileSystemBytecodeCache
from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins import CLIPluginProtocol
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import async_sessionmaker

from community import i18n
from community.accounts.sessions import CommunitySessionBackend, CommunitySessionConfig, ReaderMiddleware
from community.background import BackgroundWork
from community.config import Settings, get_settings
from community.db import StoreItem, make_alchemy_config
from community.health import PROBE_PATHS, HealthCheck, database_check, healthz, livez, readyz
from community.housekeeping import PLATFORM_PERIODIC
from community.jobs import register_periodic
from community.jobs.services import STOP_GRACE_SECONDS
from community.kernel.clock import SITE_TZ
from community.matching.embedder import get_embedder
from community.metrics import metrics, prometheus_config
from community.notifications.email import Mailer
from community.pages import favicon, home, switch_language
from community.search.platform import OutboxDelivery, ensure_jieba, make_search_backend, search_health
from community.vocabulary import template_filters
from community.web import (
    ANONYMOUS_PAGES_STORE,
    CSRF_COOKIE,
    EXCEPTION_HANDLERS,
    SESSION_COOKIE,
    AnonymousPageStore,
    CachedRouteQueries,
    SecurityHeadersMiddleware,
    UploadBodyLimit,
    anonymous_page_cache,
)
from community.web.chrome import SiteChrome
from community.web.fragments import FRAGMENTS_STORE, FragmentCache
from community.web.head import HeadAsGet
from community.web.limits import make_counter, trusted_networks
from community.web.openapi import openapi_config
from community.zones import ZonesPlugin

logger = logging.getLogger(__name__)

# The zones, one a line, in the order their search types are listed. A zone is the package
# ``community.<name>``: its ``zone()`` says what it brings, its ``models`` module holds its tables.
ZONES = (
    "accounts",
    "search",
    "notifications",
    "scenarios",
    "matching",
    "forum",
    "vouchers",
    "policies",
    "events",
    "talent",
)


def _format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt, tzinfo=SITE_TZ, locale=i18n.current_locale())


def _get_flashes(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flash messages of this request; safe on pages served without a session (a 404 before routing)."""
    request = context.get("request")
    if request is None or "session" not in request.scope or not isinstance(request.scope["session"], dict):
        return []
    messages: list[dict[str, Any]] = request.scope["session"].pop("_messages", [])
    return messages


def _configure_jinja(engine: JinjaTemplateEngine, settings: Settings) -> None:
    env: Environment = engine.engine
    # Compiled templates kept on disk between starts (each process compiles nothing twice), and no stat()
    # of every template file on every render outside development.
    env.bytecode_cache = FileSystemBytecodeCache()
    env.auto_reload = settings.debug
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["site_name"] = i18n.LocalName(settings.site_name, settings.site_name_en)
    env.globals["site_chrome"] = SiteChrome(env)
    env.filters["datetime"] = _format_datetime
    env.filters.update(template_filters())
    engine.register_template_callable("get_flashes", _get_flashes)


def _stores(settings: Settings, alchemy_config: SQLAlchemyAsyncConfig) -> dict[str, Store]:
    """Litestar's stores by name: sessions, and the shared fragments when Redis holds them (in PostgreSQL they
    are read and written through the request's own session instead: ``community.web.fragments``)."""
    if settings.redis_url:
        return {
            name: RedisStore.with_client(url=settings.redis_url, namespace=f"community:{name}")
            for name in ("sessions", FRAGMENTS_STORE)
        }
    return {"sessions": SQLAlchemyStore(alchemy_config, model=StoreItem, namespace="sessions")}


class CommunityCLIPlugin(CLIPluginProtocol):
    """The platform's own command group (the zones bring theirs through ``ZonesPlugin``)."""

    def on_cli_init(self, cli: Any) -> None:
        from community.cli import demo_group, uploads_group, worker_command

        cli.add_command(demo_group)
        cli.add_command(worker_command)
        cli.add_command(uploads_group)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    alchemy_config = make_alchemy_config(settings)
    zones = ZonesPlugin(ZONES)
    for periodic in PLATFORM_PERIODIC:
        register_periodic(periodic)
    search_backend = make_search_backend(settings, alchemy_config)
    stores = _stores(settings, alchemy_config)
    # Rate limits: one atomic counter shared by every process (community.web.limits); a wrong
    # TRUSTED_PROXIES stops the start, rather than counting everyone as the proxy.
    trusted_networks(settings.trusted_proxies)
    rate_counter = make_counter(settings, alchemy_config)
    # In memory on purpose: pages stay seconds, and each process renders its own (nothing depends on it).
    anonymous_pages = AnonymousPageStore(
        max_entries=settings.anonymous_page_cache_max_entries,
        max_bytes=settings.anonymous_page_cache_max_bytes,
    )
    secure_cookies = settings.base_url.startswith("https://")
    session_config = CommunitySessionConfig(
        store="sessions",
        key=SESSION_COOKIE,
        max_age=settings.session_max_age,
        secure=secure_cookies,
        samesite="lax",
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name="x-csrftoken",
        cookie_secure=secure_cookies,
        cookie_samesite="lax",
        # Choosing a language only sets a preference, so its form carries no token: that keeps every public
        # page free of per-visitor content, and so shareable from the anonymous page cache.
        exclude=["^/language$"],
    )
    # The public parts of listings, shared by every reader and every process (community.web.fragments).
    fragments = FragmentCache(alchemy_config, stores.get(FRAGMENTS_STORE), settings.fragment_cache_seconds)
    template_config = TemplateConfig(
        directory=settings.templates_dir,
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: _configure_jinja(engine, settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.mailer = Mailer(settings)
        sessions = async_sessionmaker(alchemy_config.get_engine(), expire_on_commit=False)
        delivery = OutboxDelivery(sessions, search_backend)
        app.state.metrics_engine = alchemy_config.get_engine()
        app.state.search_backend = search_backend
        app.state.search_delivery = delivery
        app.state.health_checks = {
            "database": database_check(alchemy_config.get_engine()),
            "search": HealthCheck(lambda: search_health(search_backend, delivery), critical=False),
        }
        # The embedding model loads on first use; if it cannot, matching is degraded (and /healthz says so).
        embedder = get_embedder(settings.embedding_model)
        app.state.embedder = embedder
        app.state.health_checks["embedder"] = HealthCheck(embedder.health, critical=False)
        # jieba loads its dictionary (about a second of CPU) once per process, off the event loop.
        await asyncio.to_thread(ensure_jieba)
        try:
            await search_backend.startup()
        except Exception as exc:  # the engine may be down; the outbox keeps every change until it is back
            logger.warning("search backend %s not ready: %s", search_backend.name, exc)
        tasks = [
            asyncio.create_task(_forget_expired_pages(anonymous_pages, settings)),
            asyncio.create_task(_freeze_after_start(freeze=settings.gc_freeze)),
        ]
        # The search outbox, the zones' jobs and periodic work (reminders, digests, clean-up): here in a
        # single process; in `community worker` where web processes run with COMMUNITY_BACKGROUND_WORK=0.
        stop_background = asyncio.Event()
        background: asyncio.Task[None] | None = None
        if settings.background_work:
            resources = {"settings": settings, "mailer": app.state.mailer, "embedder": embedder}
            work = BackgroundWork(
                settings,
                sessions,
                delivery=delivery,
                resources=resources,
                concurrency=settings.job_concurrency or 1,
            )
            background = asyncio.create_task(work.run(stop_background))
        try:
            yield
        finally:
            if background is not None:  # a running job finishes, or goes back to the queue
                stop_background.set()
                await asyncio.wait({background}, timeout=STOP_GRACE_SECONDS + 5)
                tasks.append(background)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await search_backend.close()
            await rate_counter.close()

    app = Litestar(
        route_handlers=[
            home,
            switch_language,
            favicon,
            healthz,
            livez,
            readyz,
            metrics,
            create_static_files_router(path="/static", directories=[settings.static_dir], name="static"),
        ],
        plugins=[
            SQLAlchemyPlugin(config=alchemy_config),
            HTMXPlugin(),
            CommunityCLIPlugin(),
            zones,
            UploadBodyLimit(settings.max_upload_body_bytes),
            CachedRouteQueries(),
        ],
        middleware=[
            # Latency by route template, around everything else (community.metrics).
            prometheus_config().middleware,
            # Requests for another host refused (400), security headers on every answer. Links in mail come
            # from BASE_URL, never from the Host header. The probes and /metrics stay open to machines that
            # address the process directly (/metrics checks who asks itself).
            DefineMiddleware(
                SecurityHeadersMiddleware,
                config=AllowedHostsConfig(
                    allowed_hosts=settings.hosts_allowed,
                    exclude=[f"^{path}$" for path in (*PROBE_PATHS, "/metrics")],
                ),
            ),
            # The session, the member, their unread count and the content version in one query; the language.
            DefineMiddleware(
                ReaderMiddleware,
                backend=CommunitySessionBackend(config=session_config),
                alchemy_config=alchemy_config,
                pgbouncer=settings.database_pgbouncer,
            ),
        ],
        stores={**stores, ANONYMOUS_PAGES_STORE: anonymous_pages},
        response_cache_config=anonymous_page_cache(settings.anonymous_page_cache_seconds, anonymous_pages),
        csrf_config=csrf_config,
        # Forms and JSON: a few hundred KB at most; routes that take files allow more (community.web.bodies).
        request_max_body_size=settings.max_text_body_bytes,
        template_config=template_config,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        # The settings this app was built with, for every part that reads them (rate limits, services).
        state=State({"settings": settings, "rate_counter": rate_counter, "fragments": fragments}),
        openapi_config=openapi_config(
            settings.site_name, "武汉OPC线上开放社区 JSON API (/api/v1). Errors are RFC 9457 problem details."
        ),
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]}, log_exceptions="debug"
        ),
        debug=settings.debug,
    )
    # HEAD wherever GET: outside routing, which would answer 405 (community.web.head).
    app.asgi_handler = HeadAsGet(app.asgi_handler)
    return app


async def _freeze_after_start(*, freeze: bool) -> None:
    """Move everything loaded so far (the app and its libraries) out of the garbage collector's sight: they
    live as long as the process, and a full collection walking them stalls requests. The embedding model is
    not loaded here: it loads on the first text this process embeds (a web process that only reads stored
    vectors never loads it)."""
    if freeze:
        gc.collect()  # what is garbage already goes now, not into the frozen set
        gc.freeze()


async def _forget_expired_pages(store: AnonymousPageStore, settings: Settings) -> None:
    """This process's shared pages are dropped only when read again; sweep them so odd addresses do not pile
    up. (Memory of this process only: not work for the job queue.)"""
    if settings.anonymous_page_cache_seconds <= 0:
        return
    while True:
        await asyncio.sleep(max(settings.anonymous_page_cache_seconds, 5) * 3)
        await store.delete_expired()
