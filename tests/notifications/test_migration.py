"""Notifications written before notices were worded at reading time keep their sentence: the migration moves
it into the ``legacy_text`` parameter, which is what they go on showing; going back restores it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from uuid import UUID

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from community.config import ALEMBIC_INI, MIGRATIONS_DIR
from community.notifications.notices import LEGACY_TEXT, word
from community.pgcluster import connect, create_database_if_missing, drop_database
from tests.conftest import in_thread, run_sync

BEFORE = "1010_upload_storage"  # the revision just before 1060
AFTER = "1060_notice_params"
OWNER = UUID("00000000-0000-0000-0000-000000000001")
FROZEN = "张薇 申请了“大模型应用开发工程师”。请在 2026-12-20 前答复。"


def _alembic(url: str, direction: str, revision: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    getattr(command, direction)(config, revision)


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    base = make_url(database_url)
    name = f"community_migration_{secrets.token_hex(4)}"
    url = base.set(database=name).render_as_string(hide_password=False)
    run_sync(create_database_if_missing(base.host or "127.0.0.1", base.port or 5432, "postgres", None, name))
    try:
        yield url
    finally:
        run_sync(drop_database(url))


async def _fetch(url: str, query: str) -> list[tuple[object, ...]]:
    conn = await connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(query)]
    finally:
        await conn.close()


async def _execute(url: str, *statements: tuple[str, ...]) -> None:
    conn = await connect(url)
    try:
        for statement, *args in statements:
            await conn.execute(statement, *args)
    finally:
        await conn.close()


def test_old_notifications_keep_their_sentence_through_the_migration_and_back(empty_database: str) -> None:
    url = empty_database
    in_thread(_alembic, url, "upgrade", BEFORE)
    run_sync(
        _execute(
            url,
            (
                "INSERT INTO user_account (id, email, display_name, password_hash, created_at, updated_at)"
                " VALUES ($1, 'owner@example.com', '张薇', 'x', now(), now())",
                OWNER,
            ),
            (
                "INSERT INTO notification (id, recipient_id, kind, subject, url, created_at, updated_at)"
                " VALUES (gen_random_uuid(), $1, 'talent.application', $2, '/talent', now(), now())",
                OWNER,
                FROZEN,
            ),
        )
    )

    in_thread(_alembic, url, "upgrade", AFTER)
    ((kind, params, mail_due),) = run_sync(
        _fetch(url, "SELECT kind, params::text, mail_due FROM notification")
    )
    stored = json.loads(str(params))
    assert stored == {LEGACY_TEXT: FROZEN} and mail_due is False  # an old row is never mailed afterwards
    # Shown as it was, whoever reads it and in whatever language.
    assert word(str(kind), stored, "en") == FROZEN and word(str(kind), stored, "zh_CN") == FROZEN

    in_thread(_alembic, url, "downgrade", BEFORE)
    assert run_sync(_fetch(url, "SELECT subject FROM notification")) == [(FROZEN,)]
