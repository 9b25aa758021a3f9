"""/metrics: request latency by route template, the queues read from the database, mail failures and the page
cache; answered to the operator's scraper only (loopback by default, or a bearer token)."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from community.app import create_app
from community.config import Settings
from community.jobs.services import enqueue
from community.notifications.email import Mailer, MailError
from community.search.services import enqueue_delete
from tests.conftest import free_port

BASE = "http://testserver.local"


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The app, started by each test (``app.lifespan()``) on the test's own event loop, where the requests
    below run. No worker in this process: what is queued stays queued, as when the worker is behind."""
    return create_app(replace(settings, background_work=False, anonymous_page_cache_seconds=30))


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address``, as a scraper's would (the test client's own peer is
    the name "testclient")."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=BASE)


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_show_latency_by_route_template_and_the_queues(
    app: Litestar, services: AsyncSession
) -> None:
    await enqueue(services, "metrics-probe", {"n": 1})
    await enqueue(services, "metrics-probe", {"n": 2})
    enqueue_delete(services, "forum_topic", "metrics-probe")
    await services.commit()

    async with app.lifespan(), from_address(app, "127.0.0.1") as scraper:
        assert (await scraper.get("/forum")).status_code == 200
        await scraper.get("/forum/t/987654321")  # a topic that does not exist: its route, not its id
        answer = await scraper.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    # The latency histogram of the routes hit before, labelled by template: one series per route.
    count = sample(text, "community_request_duration_seconds_count", path="/forum", method="GET")
    assert count is not None and count >= 1
    assert sample(text, "community_request_duration_seconds_bucket", path="/forum", le="+Inf") is not None
    assert 'path="/forum/t/{topic_id}"' in text
    assert "987654321" not in text
    # The queues, read from the database when scraped. (Exact counts only where no other worker runs: the
    # session's served app, when started, works the same queue.)
    for name in ("community_jobs_queued", "community_jobs_retrying", "community_jobs_failed"):
        value = sample(text, name)
        assert value is not None and value >= 0, name
    rows = sample(text, "community_search_outbox_rows")
    lag = sample(text, "community_search_outbox_lag_seconds")
    assert rows is not None and lag is not None and lag >= 0
    if rows == 0:
        assert lag == 0
    # Mail failures and the page cache are counted.
    assert sample(text, "community_mail_failures_total") is not None
    assert sample(text, "community_page_cache_hits_total") is not None
    assert sample(text, "community_page_cache_misses_total") is not None


async def test_metrics_are_refused_to_others_and_through_a_proxy(app: Litestar) -> None:
    async with app.lifespan(), from_address(app, "203.0.113.9") as outsider:
        refused = await outsider.get("/metrics")
        assert refused.status_code == 404
        assert "community_request_duration_seconds" not in refused.text
    # Behind nginx on the same host the peer is loopback, but the visitor's address is forwarded.
    async with from_address(app, "127.0.0.1") as proxied:
        forwarded = await proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert forwarded.status_code == 404
        # A visitor cannot hide behind a forged loopback entry: nginx appends the real address.
        forged = await proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
        assert forged.status_code == 404
    # The test client's peer is not even an address.
    async with from_address(app, "testclient") as client:
        assert (await client.get("/metrics")).status_code == 404


async def test_metrics_bearer_token_and_allowed_networks(settings: Settings) -> None:
    app = create_app(
        replace(settings, background_work=False, metrics_token="scrape-" + "t" * 30, metrics_allowed_from=())
    )
    async with app.lifespan(), from_address(app, "10.1.2.3") as scraper:
        assert (await scraper.get("/metrics")).status_code == 404
        wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = await scraper.get("/metrics", headers={"Authorization": "Bearer scrape-" + "t" * 30})
        assert right.status_code == 200
    app = create_app(replace(settings, background_work=False, metrics_allowed_from=("10.1.0.0/16",)))
    async with app.lifespan():
        async with from_address(app, "10.1.2.3") as scraper:
            assert (await scraper.get("/metrics")).status_code == 200
        async with from_address(app, "127.0.0.1") as loopback:
            assert (await loopback.get("/metrics")).status_code == 404


async def test_mail_failures_and_page_cache_are_counted(app: Litestar, settings: Settings) -> None:
    async with app.lifespan(), from_address(app, "127.0.0.1") as scraper:
        before = (await scraper.get("/metrics")).text
        mailer = Mailer(replace(settings, smtp_host="127.0.0.1", smtp_port=free_port()))
        with pytest.raises(MailError):
            await mailer.send("someone@example.com", "hello", "nobody listens on this port")
        # An anonymous visitor with a CSRF cookie: the second view of the page comes from the cache.
        for _view in range(2):
            assert (await scraper.get("/", headers={"cookie": "opc_csrf=" + "x" * 20})).status_code == 200
        after = (await scraper.get("/metrics")).text

    def delta(name: str) -> float:
        return (sample(after, name) or 0) - (sample(before, name) or 0)

    assert delta("community_mail_failures_total") == 1
    assert delta("community_page_cache_misses_total") >= 1
    assert delta("community_page_cache_hits_total") >= 1
    assert re.search(r"^community_jobs_queued ", after, re.M)
