"""create_app(): plugins, routes, config, lifespan — wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from babel.dates import format_datetime
from jinja2 import Environment
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins import CLIPluginProtocol
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from community import i18n
from community.accounts.controllers import (
    AccountController,
    AccountsApiController,
    AuthController,
    InvitationController,
    OrganizationController,
)
from community.accounts.services import ORGANIZATION_DOC_TYPE, organization_documents
from community.accounts.sessions import CommunitySessionConfig, CurrentUserMiddleware
from community.config import Settings, get_settings
from community.db import StoreItem, make_alchemy_config
from community.events.controllers.api import EventApiController
from community.events.controllers.pages import EventController
from community.events.jobs import register_event_jobs
from community.events.services.events import EVENT_DOC_TYPE, event_documents
from community.forum.controllers import FORUM_ROUTES
from community.forum.services import TOPIC_DOC_TYPE, topic_documents
from community.forum.services.notify import run_digests_forever
from community.health import HealthCheck, database_check, healthz
from community.i18n import N_
from community.jobs import JobWorker
from community.matching.controllers import MatchingController
from community.matching.embedder import Embedder, get_embedder
from community.matching.jobs import register_matching_jobs
from community.matching.talent import TalentMatchingController, register_talent_matching_jobs
from community.notifications.controllers import NotificationApiController, NotificationController
from community.notifications.email import Mailer
from community.pages import home, switch_language
from community.policies.controllers.admin import PolicyAdminController
from community.policies.controllers.api import PolicyApiController
from community.policies.controllers.pages import PolicyController
from community.policies.services.policies import POLICY_DOC_TYPE, policy_documents
from community.scenarios.controllers.admin import ScenarioAdminController
from community.scenarios.controllers.api import ScenarioApiController
from community.scenarios.controllers.capabilities import CapabilityController
from community.scenarios.controllers.imports import IMPORT_CONTROLLERS
from community.scenarios.controllers.lists import LIST_CONTROLLERS
from community.scenarios.controllers.scenarios import ScenarioController
from community.scenarios.services.capabilities import CAPABILITY_DOC_TYPE, capability_documents
from community.scenarios.services.interests import InterestService
from community.scenarios.services.scenarios import SCENARIO_DOC_TYPE, scenario_documents
from community.search.backends.base import SearchBackend
from community.search.controllers import SearchApiController, SearchController
from community.search.services import OutboxDelivery, register_type, search_health
from community.search.text import ensure_jieba
from community.talent.controllers import TALENT_CONTROLLERS
from community.talent.jobs import register_talent_jobs
from community.talent.services.positions import POSITION_DOC_TYPE, position_documents
from community.vouchers.controllers.admin import VoucherAdminController
from community.vouchers.controllers.api import VoucherApiController
from community.vouchers.controllers.products import ProductController
from community.vouchers.controllers.vouchers import VoucherController
from community.vouchers.services.products import PRODUCT_DOC_TYPE, product_documents
from community.web import (
    ANONYMOUS_PAGES_STORE,
    CSRF_COOKIE,
    EXCEPTION_HANDLERS,
    SESSION_COOKIE,
    AnonymousPageStore,
    SecurityHeadersMiddleware,
    anonymous_page_cache,
)

logger = logging.getLogger(__name__)
SITE_TZ = ZoneInfo("Asia/Shanghai")
STORE_CLEANUP_SECONDS = 3600


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
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["site_name"] = settings.site_name
    env.filters["datetime"] = _format_datetime
    engine.register_template_callable("get_flashes", _get_flashes)


def _stores(settings: Settings, alchemy_config: SQLAlchemyAsyncConfig) -> dict[str, Store]:
    if settings.redis_url:
        return {
            name: RedisStore.with_client(url=settings.redis_url, namespace=f"community:{name}")
            for name in ("sessions", "rate_limit")
        }
    return {
        name: SQLAlchemyStore(alchemy_config, model=StoreItem, namespace=name)
        for name in ("sessions", "rate_limit")
    }


def register_search_types() -> None:
    """Every searchable kind of document and where to find all of them; zones add theirs here."""
    register_type(ORGANIZATION_DOC_TYPE, N_("Organizations"), organization_documents)
    register_type(SCENARIO_DOC_TYPE, N_("Scenarios"), scenario_documents)
    register_type(CAPABILITY_DOC_TYPE, N_("OPC capabilities"), capability_documents)
    register_type(TOPIC_DOC_TYPE, N_("Forum topics"), topic_documents)
    register_type(PRODUCT_DOC_TYPE, N_("AI products"), product_documents)
    register_type(POLICY_DOC_TYPE, N_("Policies"), policy_documents)
    register_type(EVENT_DOC_TYPE, N_("Events and trainings"), event_documents)
    register_type(POSITION_DOC_TYPE, N_("Positions"), position_documents)


def make_search_backend(settings: Settings, alchemy_config: SQLAlchemyAsyncConfig) -> SearchBackend:
    if settings.meilisearch_url:
        from community.search.backends.meilisearch import MeilisearchBackend

        return MeilisearchBackend(
            settings.meilisearch_url, settings.meilisearch_api_key, settings.meilisearch_index
        )
    from community.search.backends.postgres import PostgresSearchBackend

    return PostgresSearchBackend(alchemy_config.get_engine())


class CommunityCLIPlugin(CLIPluginProtocol):
    def on_cli_init(self, cli: Any) -> None:
        from community.cli import demo_group, search_group, users_group
        from community.matching.cli import matching_group

        cli.add_command(matching_group)
        cli.add_command(demo_group)
        cli.add_command(users_group)
        cli.add_command(search_group)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    alchemy_config = make_alchemy_config(settings)
    register_search_types()
    register_matching_jobs()
    register_event_jobs()
    register_talent_jobs()
    register_talent_matching_jobs()
    search_backend = make_search_backend(settings, alchemy_config)
    stores = _stores(settings, alchemy_config)
    # In memory on purpose: pages stay seconds, and each process renders its own (nothing depends on it).
    anonymous_pages = AnonymousPageStore()
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
    template_config = TemplateConfig(
        directory=settings.templates_dir,
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: _configure_jinja(engine, settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.settings = settings
        app.state.mailer = Mailer(settings)
        sessions = async_sessionmaker(alchemy_config.get_engine(), expire_on_commit=False)
        delivery = OutboxDelivery(sessions, search_backend)
        app.state.search_backend = search_backend
        app.state.search_delivery = delivery
        app.state.health_checks = {
            "database": database_check(alchemy_config.get_engine()),
            "search": HealthCheck(lambda: search_health(search_backend, delivery), critical=False),
        }
        # The embedding model loads in the background; until it does (or if it cannot), matching is degraded.
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
            asyncio.create_task(_clean_stores(alchemy_config, stores)),
            asyncio.create_task(_forget_expired_pages(anonymous_pages, settings)),
            asyncio.create_task(_remind_owners(sessions, settings)),
        ]
        if settings.search_worker:
            tasks.append(asyncio.create_task(delivery.run_forever()))
        tasks.append(asyncio.create_task(run_digests_forever(sessions, app.state.mailer, settings.base_url)))
        tasks.append(asyncio.create_task(_warm_up_then_freeze(embedder, freeze=settings.gc_freeze)))
        if settings.job_worker:
            resources = {"settings": settings, "mailer": app.state.mailer, "embedder": embedder}
            worker = JobWorker(sessions, resources=resources, poll_seconds=settings.job_poll_seconds)
            tasks.append(asyncio.create_task(worker.run_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await search_backend.close()

    return Litestar(
        route_handlers=[
            home,
            switch_language,
            healthz,
            AuthController,
            AccountController,
            OrganizationController,
            InvitationController,
            AccountsApiController,
            SearchController,
            SearchApiController,
            NotificationController,
            NotificationApiController,
            ScenarioController,
            CapabilityController,
            ScenarioAdminController,
            ScenarioApiController,
            MatchingController,
            *IMPORT_CONTROLLERS,
            *LIST_CONTROLLERS,
            *FORUM_ROUTES,
            ProductController,
            VoucherController,
            VoucherAdminController,
            VoucherApiController,
            PolicyController,
            PolicyAdminController,
            PolicyApiController,
            EventController,
            EventApiController,
            *TALENT_CONTROLLERS,
            TalentMatchingController,
            create_static_files_router(path="/static", directories=[settings.static_dir], name="static"),
        ],
        plugins=[SQLAlchemyPlugin(config=alchemy_config), HTMXPlugin(), CommunityCLIPlugin()],
        middleware=[
            SecurityHeadersMiddleware(),
            session_config.middleware,
            CurrentUserMiddleware(alchemy_config),
            i18n.LocaleMiddleware(),
        ],
        stores={**stores, ANONYMOUS_PAGES_STORE: anonymous_pages},
        response_cache_config=anonymous_page_cache(settings.anonymous_page_cache_seconds, anonymous_pages),
        csrf_config=csrf_config,
        template_config=template_config,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title=settings.site_name,
            version="1.0.0",
            path="/schema",
            description="武汉OPC线上开放社区 JSON API (/api/v1). Errors are RFC 9457 problem details.",
        ),
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="debug",
        ),
        debug=settings.debug,
    )


async def _warm_up_then_freeze(embedder: Embedder, *, freeze: bool) -> None:
    """Load the model, then move everything loaded so far (the app, torch, the model: some 600,000 objects)
    out of the garbage collector's sight: they live as long as the process, and a full collection walking
    them stalls every request for about 0.3 s."""
    await embedder.warm_up()
    if freeze:
        gc.collect()  # what is garbage already goes now, not into the frozen set
        gc.freeze()


async def _forget_expired_pages(store: MemoryStore, settings: Settings) -> None:
    """Expired pages are dropped only when read again; sweep them so odd addresses do not pile up."""
    if settings.anonymous_page_cache_seconds <= 0:
        return
    while True:
        await asyncio.sleep(max(settings.anonymous_page_cache_seconds, 5) * 3)
        await store.delete_expired()


async def _remind_owners(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Tell scenario owners when an OPC's interest is about to go unanswered (nobody waits forever)."""
    while True:
        try:
            async with sessions() as db:
                await InterestService(db, response_days=settings.interest_response_days).send_reminders()
                await db.commit()
        except Exception as exc:  # the database may be away; try again next round
            logger.warning("interest reminders failed: %s", exc)
        await asyncio.sleep(settings.reminder_interval_seconds)


async def _clean_stores(alchemy_config: SQLAlchemyAsyncConfig, stores: dict[str, Store]) -> None:
    """Drop expired sessions and counters now and then; every process may do it, it is idempotent."""
    if not any(isinstance(store, SQLAlchemyStore) for store in stores.values()):
        return  # Redis expires its keys itself
    while True:
        try:
            async with alchemy_config.get_session() as db:
                await db.execute(delete(StoreItem).where(StoreItem.expires_at < func.now()))
                await db.commit()
        except Exception as exc:  # the database may be away; try again next round
            logger.warning("store cleanup failed: %s", exc)
        await asyncio.sleep(STORE_CLEANUP_SECONDS)
