"""Dependencies every zone's controllers share: its services built on the request's database session,
the app's settings and its mailer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings
from community.notifications.email import Mailer


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    """The settings the app was built with (``create_app(settings)``), never the environment's."""
    settings: Settings = request.app.state.settings
    return settings


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return settings_of(request)


def provide_mailer(request: Request[Any, Any, Any]) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


def provide_service(build: Callable[[AsyncSession], Any]) -> Provide:
    """A service made from the request's session: ``provide_service(TopicService)``."""

    def provide(db_session: NamedDependency[AsyncSession]) -> Any:
        return build(db_session)

    return Provide(provide, sync_to_thread=False)


def provide_service_with_settings(build: Callable[[AsyncSession, Settings], Any]) -> Provide:
    """A service made from the request's session and the app's settings:
    ``provide_service_with_settings(lambda db, s: StudentService(db, upload_store(s, db)))``."""

    def provide(db_session: NamedDependency[AsyncSession], request: Request[Any, Any, Any]) -> Any:
        return build(db_session, settings_of(request))

    return Provide(provide, sync_to_thread=False)


def services(**builders: Callable[[AsyncSession], Any]) -> dict[str, Provide]:
    """The dependencies of a controller: ``services(topics=TopicService, votes=VoteService)``."""
    return {name: provide_service(build) for name, build in builders.items()}


MAILER = Provide(provide_mailer, sync_to_thread=False)
SETTINGS = Provide(provide_settings, sync_to_thread=False)
