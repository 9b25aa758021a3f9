"""Reference 2: the least a real page does. Litestar, one raw asyncpg query, one Jinja template.

GET / lists the 30 newest organizations (name and summary) of the bench database, read from
BENCH_DATABASE_URL with a pool made in the lifespan. No ORM, no sessions, no CSRF, no i18n, no
middleware: what is left is the database round trip and the rendering every listing page pays.

    BENCH_DATABASE_URL=... uvicorn bench.refs.minimal_page:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from jinja2 import Environment
from litestar import Litestar, MediaType, get
from litestar.datastructures import State

from bench.common import asyncpg_dsn, bench_database_url

# The same pool size the app uses by default (DATABASE_POOL_SIZE=10).
POOL_SIZE = 10
QUERY = "SELECT name, slug, summary FROM organization ORDER BY created_at DESC LIMIT 30"
TEMPLATE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>组织</title></head>
<body>
<h1>组织</h1>
<ul>
{% for org in orgs %}
  <li>
    <h2><a href="/orgs/{{ org.slug }}">{{ org.name }}</a></h2>
    <p>{{ org.summary | truncate(120) }}</p>
  </li>
{% endfor %}
</ul>
</body>
</html>
"""
)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(asyncpg_dsn(bench_database_url()), min_size=2, max_size=POOL_SIZE)
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


@get("/", media_type=MediaType.HTML)
async def organizations(state: State) -> str:
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as conn:
        rows = await conn.fetch(QUERY)
    return TEMPLATE.render(orgs=rows)


app = Litestar(route_handlers=[organizations], lifespan=[lifespan])
