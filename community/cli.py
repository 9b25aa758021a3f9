"""The ``community`` command: Litestar's CLI with this app preset, plus our own groups.

community run --host H --port P        serve the site (Litestar's run)
community worker                       run the background work (jobs, search outbox, periodic work)
community database upgrade             migrate the schema (advanced-alchemy's Alembic commands)
community demo load                    fill the database with demo content (safe to run again)
community uploads migrate              copy uploads from var/cvs, var/proofs into the shared store
community users create-admin EMAIL     create a site admin, or make a member one

Each zone brings its own groups (``Zone.cli_groups``: users, search, matching ...); this module holds the
entry point, the demo group and what every group's commands share.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click
from litestar.cli._utils import LitestarGroup

if TYPE_CHECKING:
    from litestar import Litestar


def alchemy_config(app: Litestar) -> Any:
    """The SQLAlchemy config of the app the command was given (every group's commands use it)."""
    from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin

    plugin = app.plugins.get(SQLAlchemyPlugin)
    config = plugin.config[0] if isinstance(plugin.config, list | tuple) else plugin.config
    return config


@click.group(cls=LitestarGroup, name="demo")
def demo_group() -> None:
    """Demo content."""


def progress_bar(length: int, label: str) -> Any:
    """A progress bar on stderr for a long command: drawn on a terminal; elsewhere (a log, a pipe) only its
    label is printed, so the command says a last line of its own when it is done."""
    return click.progressbar(
        length=max(length, 0),
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        item_show_func=lambda item: item,
    )


@demo_group.command(name="load")  # type: ignore[untyped-decorator]
def demo_load(app: Litestar) -> None:
    """Fill the database with believable demo content; running it again adds nothing twice."""
    from community.demo import demo_steps, load_demo

    config = alchemy_config(app)

    async def run() -> None:
        steps = demo_steps()
        loaded: list[str] = []
        started = time.monotonic()
        try:
            # It takes a while (every zone's content, through its services): a bar over its parts.
            with progress_bar(steps, "Loading demo content") as bar:

                def step(name: str) -> None:
                    loaded.append(name)
                    bar.update(1, current_item=name)

                async with config.get_session() as db:
                    report = await load_demo(db, settings_of(app), step=step)
                    await db.commit()
        finally:
            await config.get_engine().dispose()
        seconds = time.monotonic() - started
        click.echo(f"Loaded demo content: {len(loaded)}/{steps} parts in {seconds:.0f} s.", err=True)
        for line in report:
            click.echo(line)

    asyncio.run(run())


@click.command(name="worker")
def worker_command(app: Litestar) -> None:
    """Run the background work: jobs (embedding among them), the search outbox and periodic work, until
    SIGTERM or SIGINT (a running job finishes, or goes back to the queue). Start web processes with
    COMMUNITY_BACKGROUND_WORK=0 beside it."""
    import logging
    import signal

    from community.background import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        main = asyncio.current_task()
        loop = asyncio.get_running_loop()

        def on_signal(name: str) -> None:
            if stop.is_set() and main is not None:  # asked twice: stop now
                main.cancel()
            logging.getLogger("community.worker").info("%s: stopping", name)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig.name)
        with contextlib.suppress(asyncio.CancelledError):
            await run_worker(settings_of(app), alchemy_config(app), stop)

    asyncio.run(run())


@click.group(cls=LitestarGroup, name="uploads")
def uploads_group() -> None:
    """Uploaded files (CVs, proofs) in the shared store."""


@uploads_group.command(name="migrate")  # type: ignore[untyped-decorator]
def uploads_migrate(app: Litestar) -> None:
    """Copy the uploads kept in this machine's var/cvs and var/proofs (and, when UPLOAD_STORAGE_URL names an
    S3 store, those kept in PostgreSQL) into the configured store. Files already there are left alone, so it
    is safe to run again; nothing is deleted."""
    from community.storage import migrate_uploads

    config = alchemy_config(app)
    settings = settings_of(app)

    async def run() -> None:
        try:
            async with config.get_session() as db:
                report = await migrate_uploads(settings, db)
                await db.commit()
        finally:
            await config.get_engine().dispose()
        target = "S3" if settings.upload_storage_url else "PostgreSQL"
        for area in report.copied:
            click.echo(
                f"{area}: {report.copied[area]} copied into {target}, {report.already[area]} there already"
            )
        for path in report.skipped:
            click.echo(f"left alone (not an upload of ours): {path}")

    asyncio.run(run())


def settings_of(app: Litestar) -> Any:
    """The settings the app was built with."""
    from community.config import get_settings

    return app.state.get("settings") or get_settings()


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "community.app:create_app")
    from litestar.cli.main import litestar_group

    litestar_group(prog_name="community")


if __name__ == "__main__":
    main()
