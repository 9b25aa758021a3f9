"""Reference 1: the floor of the stack. A bare Litestar app answering "hello" in plain text.

Served by the same uvicorn (one worker, no access log) as the real app, so a page's requests/s
divided by this one says how much of the budget the app's own work takes.

    uvicorn bench.refs.hello:app
"""

from __future__ import annotations

from litestar import Litestar, MediaType, get


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:
    return "hello"


app = Litestar(route_handlers=[hello])
