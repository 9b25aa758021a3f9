"""``community search``: the search index."""

from __future__ import annotations

import asyncio
import time
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
    """Rebuild the search index from the database beside the live one, and switch to it at the end
    (search keeps answering from the live index meanwhile). Shows a progress bar per kind of document."""
    from community.cli import progress_bar
    from community.search.services import ReindexRunning, reindex

    async def work(sessions: Any, backend: Any) -> str:
        current: dict[str, Any] = {}  # the bar of the kind being indexed, its name and what it shows

        def finish() -> None:
            if current:
                current["bar"].__exit__(None, None, None)
                current.clear()

        def progress(doc_type: str, done: int, expected: int) -> None:
            if current.get("type") != doc_type:  # one bar per kind, one after the other
                finish()
                current.update(
                    type=doc_type, shown=0, bar=progress_bar(expected, f"{doc_type:<14}").__enter__()
                )
            bar = current["bar"]
            bar.length = max(bar.length, done)  # more documents than the live index held
            bar.update(done - current["shown"])
            current["shown"] = done

        started = time.monotonic()
        try:
            counts = await reindex(sessions, backend, progress=progress)
        except ReindexRunning:
            raise click.ClickException("Another search reindex is running; nothing was changed.") from None
        finally:
            finish()
        lines = [f"  {doc_type}: {count}" for doc_type, count in counts.items()]
        seconds = time.monotonic() - started
        lines.append(f"Indexed {sum(counts.values())} documents into {backend.name} in {seconds:.0f} s.")
        return "\n".join(lines)

    _with_search(app, work)


@search_group.command(name="drain")  # type: ignore[untyped-decorator]
def search_drain(app: Litestar) -> None:
    """Deliver every pending change of the outbox to the search index now."""
    from community.search.services import OutboxDelivery

    async def work(sessions: Any, backend: Any) -> str:
        report = await OutboxDelivery(sessions, backend).drain()
        return f"Delivered {report.delivered}, failed {report.failed}, waiting {report.waiting}."

    _with_search(app, work)
