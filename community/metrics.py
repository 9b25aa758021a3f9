"""GET /metrics: Prometheus metrics, for the operator's scraper only.

Request latency comes from Litestar's Prometheus middleware, labelled by route template (``/forum/t/{id}``,
not each topic's address, so the number of series stays that of the routes). The queue gauges are read from
the database when the scraper asks (the job table's partial index of open jobs, the outbox's oldest row), so
they are the same whichever process answers. Mail failures and the page cache count in the process where
they happen.

Several processes on one machine: set PROMETHEUS_MULTIPROC_DIR to an empty folder writable by all of them
(cleared before they start) and each process writes its counters there; /metrics of any of them then adds
them up (prometheus_client's multiprocess mode; see deploy/README.md).

Never public: a scrape is answered only from METRICS_ALLOWED_FROM (loopback by default) or with the bearer
token METRICS_TOKEN; anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from community.config import Settings

logger = logging.getLogger(__name__)

PREFIX = "community"
SCRAPE_QUERY_TIMEOUT_SECONDS = 2.0

# Counted where they happen (any process).
MAIL_FAILURES = Counter(f"{PREFIX}_mail_failures", "Mails the SMTP server refused or was not reachable for")
PAGE_CACHE_HITS = Counter(f"{PREFIX}_page_cache_hits", "Anonymous pages served from this process's cache")
PAGE_CACHE_MISSES = Counter(f"{PREFIX}_page_cache_misses", "Anonymous pages rendered because not cached")

# Read from the database at scrape time: the same in every process, so the most recent value is the value.
JOBS_QUEUED = Gauge(
    f"{PREFIX}_jobs_queued", "Open jobs that are due and not yet done", multiprocess_mode="mostrecent"
)
JOBS_RETRYING = Gauge(
    f"{PREFIX}_jobs_retrying", "Open jobs that failed at least once", multiprocess_mode="mostrecent"
)
JOBS_FAILED = Gauge(
    f"{PREFIX}_jobs_failed", "Jobs that gave up after their last attempt", multiprocess_mode="mostrecent"
)
OUTBOX_ROWS = Gauge(
    f"{PREFIX}_search_outbox_rows", "Search changes not yet delivered", multiprocess_mode="mostrecent"
)
OUTBOX_LAG = Gauge(
    f"{PREFIX}_search_outbox_lag_seconds",
    "Age of the oldest search change not yet delivered (0 when none)",
    multiprocess_mode="mostrecent",
)

# Open jobs through the partial index ix_job_due (open rows only); failed jobs are kept a while and then
# cleaned up, so counting them stays small.
_QUEUE_SQL = text(
    """
    SELECT
      (SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()) AS queued,
      (SELECT count(*) FROM job WHERE done_at IS NULL AND failed_at IS NULL AND attempts > 0) AS retrying,
      (SELECT count(*) FROM job WHERE failed_at IS NOT NULL) AS failed,
      (SELECT count(*) FROM search_outbox WHERE delivered_at IS NULL) AS outbox_rows,
      (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
         FROM search_outbox WHERE delivered_at IS NULL) AS outbox_lag
    """
)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="community",
        prefix=PREFIX,
        # The route's template, never the raw path: ids in addresses would make a series per object.
        group_path=True,
        # Probes are asked every few seconds by machines; they would drown the pages people load.
        exclude=[r"^/(livez|readyz|healthz|metrics)$", r"^/static/"],
    )


def _networks(raw: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in raw]


def _addresses(request: Request[Any, Any, Any]) -> list[str]:
    """Every address the request passed through: the peer, and each one a proxy says it came from. All must
    be allowed: nginx on the same host makes every visitor's peer 127.0.0.1, but appends the visitor's own
    address to X-Forwarded-For (which a visitor can add to, never remove from)."""
    found = [request.client.host if request.client else ""]
    for name in ("x-forwarded-for", "x-real-ip", "forwarded"):
        for value in request.headers.getall(name, []):
            if name == "forwarded":
                found += [
                    part.split("=", 1)[1].strip('"[]')
                    for item in value.split(",")
                    for part in item.split(";")
                    if part.strip().lower().startswith("for=")
                ]
            else:
                found += [part.strip() for part in value.split(",")]
    return found


def scrape_allowed(request: Request[Any, Any, Any], settings: Settings) -> bool:
    if settings.metrics_token:
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
            return True
    networks = _networks(settings.metrics_allowed_from)
    for address in _addresses(request):
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False  # "testclient", "unknown", an obfuscated name: not an address we can allow
        if not any(ip in network for network in networks):
            return False
    return True


async def _read_queues(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        row = (await conn.execute(_QUEUE_SQL)).one()
    JOBS_QUEUED.set(row.queued)
    JOBS_RETRYING.set(row.retrying)
    JOBS_FAILED.set(row.failed)
    OUTBOX_ROWS.set(row.outbox_rows)
    OUTBOX_LAG.set(float(row.outbox_lag))


@get("/metrics", name="metrics", include_in_schema=False, cache=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    settings: Settings = request.app.state.settings
    if not scrape_allowed(request, settings):
        raise NotFoundException()
    engine: AsyncEngine = request.app.state.metrics_engine
    try:
        await asyncio.wait_for(_read_queues(engine), SCRAPE_QUERY_TIMEOUT_SECONDS)
    except Exception as exc:  # the database is down: the rest still goes out, the gauges keep their values
        logger.warning("metrics: could not read the queues: %s", type(exc).__name__)
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(
        generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )
