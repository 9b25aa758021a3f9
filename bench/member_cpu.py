"""The web process's CPU time per logged-in member request, measured in-process: the ASGI app called directly.

    python -m bench.member_cpu                               # this checkout
    python -m bench.member_cpu --compare /path/to/checkout   # before (that checkout) and after, alternating
    python -m bench.member_cpu --pages /forum '{topic}' --requests 300 --rounds 5

What one request costs is steadier than req/s on a busy machine (bench/README.md, "A logged-in member's
pages"). Each measurement is a process of its own that imports one checkout's code (its own templates), opens
the app on the bench database (BENCH_DATABASE_URL; the data of bench.forum_bench and bench.scenarios_generate,
or a smaller set made with the same code), logs in through the site's own form as an OPC's owner, calls every
page a few times to warm up, then calls each page ``--requests`` times in a row and divides the process's CPU
time by that. The processes alternate between the checkouts for ``--rounds`` rounds; the table shows the least
figure of each page (what the machine's other work added least to), in ms. No HTTP server and no client take
part: what is left is the app, its drivers and the event loop.

The child runs this file by path with the measured checkout first on PYTHONPATH, so it imports nothing from
``bench``: an older checkout need not have this file.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

MEMBER_PAGES = (
    "/", "/forum", "{topic}", "/forum/tags/{tag}", "/scenarios", "/capabilities", "/products", "/policies",
    "/talent", "/events",
)  # fmt: skip
MEMBER_PASSWORD = "bench-password"  # noqa: S105 (every generated account's, bench.generate)
HOST = b"127.0.0.1:8000"
WARM_UP = 20  # calls of each page before any is measured: templates compiled, caches and pool filled


# --- the child: one checkout's app, in this process ------------------------------------------------------


async def _call(
    app: Any, method: str, target: str, cookie: str, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app; its status, the cookies it set and its body."""
    parts = urlsplit(target)
    headers = [(b"host", HOST), (b"user-agent", b"member-cpu"), (b"accept-language", b"zh-CN,zh;q=0.9")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(parts.path),
        "raw_path": quote(parts.path).encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    cookies: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a client that stays: the app never needs to ask twice
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", ()):
                if name.lower() == b"set-cookie":
                    key, _, rest = value.decode().split(";", 1)[0].partition("=")
                    cookies[key.strip()] = rest.strip()
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, cookies, b"".join(chunks)


async def _log_in(app: Any, email: str) -> str:
    """Through the site's own login form, as bench.load does; the Cookie header (session and CSRF) to send."""
    status, cookies, page = await _call(app, "GET", "/login", "")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.decode())
    if status != 200 or token is None:
        raise SystemExit(f"The login form gave no CSRF token (HTTP {status}).")
    form = urlencode(
        {"_csrf_token": token.group(1), "email": email, "password": MEMBER_PASSWORD, "next": "/"}
    )
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, set_now, _page = await _call(app, "POST", "/login", header, form.encode())
    cookies |= set_now
    if status not in (302, 303) or "opc_session" not in cookies:
        raise SystemExit(f"Logging in as {email} failed: HTTP {status}.")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def _measure_here(email: str, pages: Sequence[str], requests: int) -> dict[str, float]:
    from community.app import create_app

    app = create_app()
    async with app.lifespan():
        cookie = await _log_in(app, email)
        for _ in range(WARM_UP):
            for page in pages:
                status, _set, body = await _call(app, "GET", page, cookie)
                if status != 200 or b'action="/logout"' not in body:  # a member's page, not a visitor's
                    raise SystemExit(f"{page} answered {status}, not a member's page")
        await asyncio.sleep(0.5)  # whatever the warm-up started in the background settles first
        figures = {}
        for page in pages:
            gc.collect()
            started = time.process_time()
            for _ in range(requests):
                await _call(app, "GET", page, cookie)
            figures[page] = (time.process_time() - started) / requests * 1000
        return figures


def child(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--email", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("pages", nargs="+")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_measure_here(args.email, args.pages, args.requests))))


# --- the parent: data, rounds, table ---------------------------------------------------------------------


async def _member_facts(url: str) -> dict[str, str]:
    import asyncpg

    from bench.common import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        topic = await conn.fetchrow(
            "SELECT id, slug FROM forum_topic WHERE reply_count >= 50 ORDER BY reply_count DESC, id LIMIT 1"
        )
        tag = await conn.fetchval("SELECT name FROM forum_tag ORDER BY topic_count DESC LIMIT 1")
        email = await conn.fetchval(
            "SELECT u.email FROM user_account u JOIN membership m ON m.user_id = u.id "
            "JOIN organization o ON o.id = m.organization_id "
            "WHERE u.is_active AND NOT u.is_admin AND m.role = 'owner' AND o.org_type = 'opc' "
            "ORDER BY u.created_at, u.id LIMIT 1"
        )
    finally:
        await conn.close()
    if topic is None or tag is None or email is None:
        raise SystemExit("No forum or accounts in the bench database: run python -m bench.forum_bench first.")
    return {"topic": f"/forum/t/{topic['id']}/{topic['slug']}", "tag": str(tag), "email": str(email)}


def _run_child(root: Path, url: str, email: str, pages: Sequence[str], requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="member-cpu-") as var_dir:
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "DATABASE_URL": url,
            "RATE_LIMITS_ENABLED": "false",
            "DEBUG": "false",
            "DATABASE_ECHO": "false",
            "COMMUNITY_BACKGROUND_WORK": "0",
            "COMMUNITY_VAR_DIR": var_dir,
            "SECRET_KEY": secrets.token_urlsafe(32),
        }
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--email", email, "--requests", str(requests), *pages],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"The measurement in {root} failed:\n{done.stderr[-4000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    from bench.common import bench_database_url, checked_url, display_url
    from community.config import PROJECT_ROOT

    parser = argparse.ArgumentParser(prog="python -m bench.member_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--compare", type=Path, help="another checkout, measured as 'before'")
    parser.add_argument(
        "--pages", nargs="+", default=list(MEMBER_PAGES), help="{topic} and {tag} are filled in"
    )
    parser.add_argument("--requests", type=int, default=150, help="measured calls of each page (default 150)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the least figure counts (default 3)")
    args = parser.parse_args(argv)
    url = bench_database_url()
    checked_url(url)
    facts = asyncio.run(_member_facts(url))
    pages = [p.replace("{topic}", facts["topic"]).replace("{tag}", quote(facts["tag"])) for p in args.pages]
    apps: list[tuple[str, Path]] = [("after", PROJECT_ROOT)]
    if args.compare:
        apps.insert(0, ("before", args.compare.resolve()))
    print(
        f"Database {display_url(url)}, member {facts['email']}, {args.requests} calls a page, {args.rounds} rounds"
    )
    best: dict[str, dict[str, float]] = {name: {} for name, _ in apps}
    for number in range(args.rounds):
        for name, root in apps:
            figures = _run_child(root, url, facts["email"], pages, args.requests)
            print(
                f"  round {number + 1}, {name}: " + ", ".join(f"{v:.2f}" for v in figures.values()),
                flush=True,
            )
            for page, value in figures.items():
                best[name][page] = min(value, best[name].get(page, value))
    labels = [p.replace(facts["topic"], "topic").replace(quote(facts["tag"]), facts["tag"]) for p in pages]
    print("\nCPU ms per request (least of the rounds):\n")
    print("| page | " + " | ".join(f"`{label}`" for label in labels) + " |")
    print("| --- " * (len(pages) + 1) + "|")
    for name, _root in apps:
        print(f"| {name} | " + " | ".join(f"{best[name][p]:.2f}" for p in pages) + " |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
