"""``community search``: the search index."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click
from litestar.cli._utils import LitestarGroup

from community.cli import alchemy_config, settings_of

if TYPE_CHECKING:
    from litestar import Litestar


@click.group(cls=LitestarGroup, name="search")
def search_group() -> None:
    """The search index."""


def _with_search(app: Litestar, work: Callable[[Any, Any], Awaitable[str]]) -> None:
    """Run ``work(sessions, backend)`` with the search backend started, then close everything."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from community.search.backends import make_search_backend

    config = alchemy_config(app)
    backend = make_search_backend(settings_of(app), config)

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
