"""The probes. GET /healthz, for people: one entry per dependency, 200 when all are well, 503 when a critical
one is down. For machines: /livez (the process answers: restart it when not) and /readyz (it can serve now:
send it traffic when 200, hold traffic while 503; a database blip takes a backend out of rotation and back
without a restart).

Zones register their own checks (search, embedder, mail) on ``app.state.health_checks`` as they land.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT_SECONDS = 3.0
# /readyz answers within this: a load balancer's probe usually times out at 2-5 s, and a backend whose
# database takes longer than this to say "SELECT 1" should not get new requests anyway.
READY_TIMEOUT_SECONDS = 1.5
PROBE_PATHS = ("/healthz", "/livez", "/readyz")


class CheckDown(Exception):
    """A check's own report that its dependency is down, with what an operator needs to know (which model,
    which state); the reason is shown, not just the exception's name."""

    def __init__(self, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details or {}


@dataclass(frozen=True)
class HealthCheck:
    probe: Callable[[], Awaitable[dict[str, Any]]]
    # A critical dependency down means the site cannot serve (503); others only degrade it.
    critical: bool = True


def database_check(engine: AsyncEngine) -> HealthCheck:
    async def probe() -> dict[str, Any]:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {}

    return HealthCheck(probe, critical=True)


async def _run(check: HealthCheck) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = await asyncio.wait_for(check.probe(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return {"status": "down", "error": "timed out"}
    except CheckDown as down:
        return {"status": "down", "error": down.reason, **down.details}
    except Exception as exc:  # any failure of a dependency is a report, not a crash
        return {"status": "down", "error": type(exc).__name__}
    result: dict[str, Any] = {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    result.update(extra)
    return result


@get("/healthz", name="healthz", include_in_schema=True, cache=False, tags=["operations"])
async def healthz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    checks: dict[str, HealthCheck] = request.app.state.health_checks
    names = list(checks)
    results = await asyncio.gather(*(_run(checks[name]) for name in names))
    report = dict(zip(names, results, strict=True))
    critical_down = any(r["status"] != "ok" and checks[n].critical for n, r in report.items())
    degraded = any(r["status"] != "ok" for r in report.values())
    status = "down" if critical_down else ("degraded" if degraded else "ok")
    return Response(
        {"status": status, "checks": report},
        status_code=HTTP_503_SERVICE_UNAVAILABLE if critical_down else HTTP_200_OK,
        headers={"Cache-Control": "no-store"},
    )


@get("/livez", name="livez", include_in_schema=True, cache=False, tags=["operations"])
async def livez() -> Response[dict[str, str]]:
    """The process answers: its event loop runs. Nothing else is asked (no database), so a database outage
    never makes a supervisor restart every web process at once."""
    return Response({"status": "ok"}, headers={"Cache-Control": "no-store"})


@get("/readyz", name="readyz", include_in_schema=True, cache=False, tags=["operations"])
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """This process can serve: its database answers within READY_TIMEOUT_SECONDS. 503 with problem details
    (RFC 9457) otherwise. Only the critical dependency: a slow search engine or a missing model degrades
    pages, it does not make the backend useless."""
    check: HealthCheck = request.app.state.health_checks["database"]
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check.probe(), READY_TIMEOUT_SECONDS)
    except Exception as exc:  # down, refused or too slow: all mean "not now"
        reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        return Response(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": HTTP_503_SERVICE_UNAVAILABLE,
                "detail": f"database: {reason}",
                "instance": request.url.path,
            },
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            media_type="application/problem+json",
            headers={"Cache-Control": "no-store", "Retry-After": "5"},
        )
    latency = round((time.perf_counter() - started) * 1000, 1)
    return Response(
        {"status": "ok", "database_latency_ms": latency},
        media_type=MediaType.JSON,
        headers={"Cache-Control": "no-store"},
    )
