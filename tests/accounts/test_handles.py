"""Handles: chosen when registering (or made from the name), changed on the account page, unique whatever
the case (held by the database), and the mention picker's lookup, which shows handles and names only."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from community.accounts.services import AccountService
from community.pgcluster import connect, create_database_if_missing, drop_database
from tests.conftest import FormClient, clients_of, confirmation_path, session_mailbox


async def _register(client: FormClient, email: str, name: str, handle: str) -> Any:
    """The registration form with a handle, then the mailed link's button."""
    mailbox = session_mailbox()
    seen = mailbox.seen()
    sent = await client.submit(
        "/register", {"email": email, "display_name": name, "handle": handle, "password": "correct horse 42"}
    )
    if sent.status_code != 200:
        return sent
    path = confirmation_path(await mailbox.take_waiting(email, seen))
    assert path is not None
    for _attempt in range(100):
        if (await client.get(path)).status_code == 200:
            break
    return await client.submit(path)


async def test_a_handle_is_chosen_at_registration_and_kept_unique_whatever_the_case(
    make_client: Any, db: Any
) -> None:
    first = await make_client()
    done = await _register(first, "zhang@example.com", "张伟", "ZhangWei")
    assert str(done.url).endswith("/account")
    assert 'value="ZhangWei"' in done.text
    assert db.fetchval("SELECT handle FROM user_account WHERE email = 'zhang@example.com'") == "ZhangWei"

    # The same handle in other letters' case is taken: the form comes back, fields kept, a free one offered.
    second = await make_client()
    refused = await second.submit(
        "/register",
        {
            "email": "other@example.com",
            "display_name": "Zhang Wei",
            "handle": "zhangwei",
            "password": "x" * 12,
        },
    )
    assert refused.status_code == 400
    assert 'value="other@example.com"' in refused.text and 'value="zhangwei"' in refused.text
    assert 'id="e-handle"' in refused.text
    assert "zhang_wei" in refused.text  # the suggestion, made from the name
    assert db.fetchval("SELECT count(*) FROM pending_registration") == 1

    # A handle that is not one is refused beside the field.
    answer = await second.submit(
        "/register",
        {"email": "other@example.com", "display_name": "Other", "handle": "王 芳", "password": "x" * 12},
    )
    assert answer.status_code == 400 and 'id="e-handle"' in answer.text

    # Left empty, one is made from the name; a Chinese name (no pinyin here) gets a numbered one.
    await _register(second, "other@example.com", "王芳", "")
    made = db.fetchval("SELECT handle FROM user_account WHERE email = 'other@example.com'")
    assert made.startswith("user") and made[4:].isalnum()


async def test_the_database_refuses_two_handles_that_differ_only_in_case(services: Any, db: Any) -> None:
    await AccountService(services).register("a@example.com", "A", "correct horse 42", handle="Mei-Lin")
    await services.commit()
    with pytest.raises(asyncpg.UniqueViolationError):
        db.fetchval(
            "INSERT INTO user_account"
            " (id, email, display_name, handle, password_hash, created_at, updated_at)"
            " VALUES (gen_random_uuid(), 'b@example.com', 'B', 'mei-lin', 'x', now(), now())"
        )
    with pytest.raises(asyncpg.CheckViolationError):
        db.fetchval("UPDATE user_account SET handle = 'bad handle' WHERE email = 'a@example.com'")


async def test_the_account_page_changes_the_handle_by_the_rules(make_client: Any, db: Any) -> None:
    taken = await make_client()
    await taken.register("taken@example.com", "Taken")
    owner = await make_client()
    await owner.register("me@example.com", "Me Myself")

    page = await owner.get("/account")
    assert 'name="handle"' in page.text and 'value="me_myself"' in page.text
    refused = await owner.submit("/account/profile", {"display_name": "Me Myself", "handle": "TAKEN"})
    assert refused.status_code == 400 and 'id="e-handle"' in refused.text and 'value="TAKEN"' in refused.text
    for bad in ("a", "-dash", "有中文", "has space", "x" * 31, "admin", "ﬁne"):
        answer = await owner.submit("/account/profile", {"display_name": "Me Myself", "handle": bad})
        assert answer.status_code == 400 and 'id="e-handle"' in answer.text, bad
    saved = await owner.submit("/account/profile", {"display_name": "Me Myself", "handle": "Me_2026"})
    assert saved.status_code == 200
    assert db.fetchval("SELECT handle FROM user_account WHERE email = 'me@example.com'") == "Me_2026"
    # Changing only the case of one's own handle is allowed.
    await owner.submit("/account/profile", {"display_name": "Me Myself", "handle": "me_2026"})
    assert db.fetchval("SELECT handle FROM user_account WHERE email = 'me@example.com'") == "me_2026"


async def test_the_mention_lookup_shows_handles_and_names_of_active_members_only(
    make_client: Any, services: Any, db: Any
) -> None:
    asker = await make_client()
    await asker.register("asker@example.com", "Asker")
    await AccountService(services).register("li.wei@example.com", "Li Wei", "correct horse 42")
    await AccountService(services).register("liu@example.com", "刘丽", "correct horse 42", handle="liuli")
    gone = await AccountService(services).register("lin@example.com", "Lin Gone", "correct horse 42")
    gone.is_active = False
    await services.commit()

    answer = await asker.get("/api/v1/members/handles", params={"q": "li"})
    assert answer.status_code == 200
    found = answer.json()
    assert [m["handle"] for m in found] == ["liuli", "li_wei"] or [m["handle"] for m in found] == [
        "li_wei",
        "liuli",
    ]
    assert all(set(m) == {"handle", "display_name"} for m in found)
    assert "@example.com" not in answer.text and "lin_gone" not in answer.text
    # By a part of the name too.
    assert [m["handle"] for m in (await asker.get("/api/v1/members/handles?q=刘")).json()] == ["liuli"]
    # "%" and "_" are letters here, not patterns.
    assert (await asker.get("/api/v1/members/handles?q=%25")).json() == []

    # The picker's fragment (htmx) and the page without JavaScript.
    fragment = await asker.get("/members/handles?q=li_", headers={"HX-Request": "true"})
    assert 'data-mention="li_wei"' in fragment.text and "<html" not in fragment.text
    page = await asker.get("/members/handles?q=li_")
    assert "<html" in page.text and "@li_wei" in page.text and "liu@example.com" not in page.text

    # A visitor learns nothing; a query longer than any handle is a 400 with problem details.
    visitor = await make_client()
    assert (await visitor.get("/api/v1/members/handles?q=li")).status_code == 401
    long = await asker.get("/api/v1/members/handles", params={"q": "x" * 200})
    assert long.status_code == 400 and long.headers["content-type"].startswith("application/problem+json")


async def test_the_mention_lookup_is_rate_limited(settings: Any, services: Any) -> None:
    await AccountService(services).register("fast@example.com", "Fast", "correct horse 42")
    await services.commit()
    async with clients_of(replace(settings, rate_limits_enabled=True, background_work=False)) as make:
        typist = await make()
        assert (await typist.login("fast@example.com")).status_code == 200
        statuses = [(await typist.get(f"/api/v1/members/handles?q=f{n}")).status_code for n in range(65)]
    assert statuses[:60] == [200] * 60
    assert statuses[60:] == [429] * 5


# An account as the table held it before handles (one second apart, so "oldest first" is defined).
OLD_ACCOUNT = """
    INSERT INTO user_account (id, email, display_name, password_hash, created_at, updated_at)
    VALUES (gen_random_uuid(), $1, $2, 'x', now() + $3 * interval '1 second', now())
"""


def _alembic(url: str, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    from community.db import ALEMBIC_INI, MIGRATIONS_DIR

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, target)


async def test_the_migration_gives_every_existing_account_a_unique_handle(database_url: str) -> None:
    """Accounts made before handles existed: one from the name where it has ASCII letters (collisions
    numbered, oldest first), a numbered one otherwise; all different whatever the case."""
    base = make_url(database_url)
    name = f"community_handles_{secrets.token_hex(4)}"
    url = base.set(database=name).render_as_string(hide_password=False)
    host, port, user = base.host or "127.0.0.1", base.port or 5432, base.username or "postgres"
    await create_database_if_missing(host, port, user, base.password, name)
    try:
        await asyncio.to_thread(_alembic, url, "1060_notice_params")  # the revision before handles
        names = ["Li Wei", "li wei", "LI-WEI!", "张三", "张三", "Admin", "José Müller"]
        conn = await connect(url)
        try:
            for n, name in enumerate(names):
                await conn.execute(OLD_ACCOUNT, f"u{n}@example.com", name, n)
        finally:
            await conn.close()
        await asyncio.to_thread(_alembic, url, "head")
        conn = await connect(url)
        try:
            rows = await conn.fetch("SELECT handle FROM user_account ORDER BY created_at")
            handles = [row["handle"] for row in rows]
        finally:
            await conn.close()
    finally:
        await drop_database(url)
    assert handles[:3] == ["li_wei", "li_wei2", "li_wei3"]
    assert handles[6] == "jose_muller"
    assert all(re.fullmatch(r"user\d{4}", h) for h in handles[3:6])  # no pinyin; "admin" is reserved
    assert len({h.lower() for h in handles}) == len(handles)
