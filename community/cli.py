"""The ``community`` command: Litestar's CLI with this app preset, plus our own groups.

community run --host H --port P        serve the site (Litestar's run)
community database upgrade             migrate the schema (advanced-alchemy's Alembic commands)
community demo load                    fill the database with demo content (safe to run again)
community users create-admin EMAIL     create a site admin, or make a member one
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click
from litestar.cli._utils import LitestarGroup

if TYPE_CHECKING:
    from litestar import Litestar


def _alchemy_config(app: Litestar) -> Any:
    from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin

    plugin = app.plugins.get(SQLAlchemyPlugin)
    config = plugin.config[0] if isinstance(plugin.config, list | tuple) else plugin.config
    return config


@click.group(cls=LitestarGroup, name="demo")
def demo_group() -> None:
    """Demo content."""


@demo_group.command(name="load")  # type: ignore[untyped-decorator]
def demo_load(app: Litestar) -> None:
    """Fill the database with believable demo content; running it again adds nothing twice."""
    from community.demo import load_demo

    config = _alchemy_config(app)

    async def run() -> None:
        try:
            async with config.get_session() as db:
                report = await load_demo(db, app.state.get("settings") or _settings())
                await db.commit()
        finally:
            await config.get_engine().dispose()
        for line in report:
            click.echo(line)

    asyncio.run(run())


def _settings() -> Any:
    from community.config import get_settings

    return get_settings()


@click.group(cls=LitestarGroup, name="users")
def users_group() -> None:
    """Site members and admins."""


@users_group.command(name="create-admin")  # type: ignore[untyped-decorator]
@click.argument("email")
@click.option("--password", envvar="ADMIN_PASSWORD", default=None, help="Password (asked for when omitted).")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
def create_admin(app: Litestar, email: str, password: str | None, display_name: str | None) -> None:
    """Create a site admin EMAIL, or make the member with that address an admin."""
    from community.accounts.services import AccountService
    from community.errors import FormError

    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = secrets.token_urlsafe(12)
            generated = True
    config = _alchemy_config(app)

    async def run() -> None:
        try:
            async with config.get_session() as db:
                user = await AccountService(db).create_admin(email, str(password), display_name)
                await db.commit()
                click.echo(f"Admin ready: {user.email}")
                if generated:
                    click.echo(f"Password: {password}")
        except FormError as exc:
            for field, message in exc.errors.items():
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(2) from exc
        finally:
            await config.get_engine().dispose()

    asyncio.run(run())


@click.group(cls=LitestarGroup, name="search")
def search_group() -> None:
    """The search index."""


def _with_search(app: Litestar, work: Callable[[Any, Any], Awaitable[str]]) -> None:
    """Run ``work(sessions, backend)`` with the search backend started, then close everything."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from community.app import make_search_backend

    config = _alchemy_config(app)
    backend = make_search_backend(_settings(), config)

    async def run() -> None:
        try:
            await backend.startup()
            click.echo(await work(async_sessionmaker(config.get_engine(), expire_on_commit=False), backend))
        finally:
            await backend.close()
            await config.get_engine().dispose()

    asyncio.run(run())


@search_group.command(name="reindex")  # type: ignore[untyped-decorator]
def search_reindex(app: Litestar) -> None:
    """Rebuild the search index from the database."""
    from community.search.services import reindex

    async def work(sessions: Any, backend: Any) -> str:
        counts = await reindex(sessions, backend, progress=lambda line: click.echo(f"  {line}"))
        return f"Indexed {sum(counts.values())} documents into {backend.name}."

    _with_search(app, work)


@search_group.command(name="drain")  # type: ignore[untyped-decorator]
def search_drain(app: Litestar) -> None:
    """Deliver every pending change of the outbox to the search index now."""
    from community.search.services import OutboxDelivery

    async def work(sessions: Any, backend: Any) -> str:
        report = await OutboxDelivery(sessions, backend).drain()
        return f"Delivered {report.delivered}, failed {report.failed}, waiting {report.waiting}."

    _with_search(app, work)


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "community.app:create_app")
    from litestar.cli.main import litestar_group

    litestar_group(prog_name="community")
