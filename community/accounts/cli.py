"""``community users``: site members and admins."""

from __future__ import annotations

import asyncio
import secrets
import sys
from typing import TYPE_CHECKING

import click
from litestar.cli._utils import LitestarGroup

from community.cli import alchemy_config

if TYPE_CHECKING:
    from litestar import Litestar


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
    config = alchemy_config(app)

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
