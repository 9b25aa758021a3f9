"""What every page shares: error pages in both languages, problem details, OpenAPI, security headers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import FormClient


async def test_friendly_404_in_both_languages(client: FormClient) -> None:
    zh = await client.get("/no/such/page")
    assert zh.status_code == 404
    assert "页面不存在" in zh.text or "找不到" in zh.text
    await client.submit("/language", {"lang": "en", "next": "/"})
    en = await client.get("/no/such/page")
    assert en.status_code == 404 and "Page not found" in en.text


async def test_403_page_is_friendly(make_client) -> None:
    owner = await make_client()
    await owner.register("o@example.com")
    await owner.submit("/orgs/new", {"name": "甲公司", "org_type": "enterprise", "slug": "jia"})
    other = await make_client()
    await other.register("p@example.com")
    response = await other.get("/orgs/jia/members")
    assert response.status_code == 403
    assert "<h1>" in response.text and "首页" in response.text


async def test_api_errors_are_problem_details(client: FormClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    body = missing.json()
    assert body["status"] == 404 and body["title"] and body["instance"] == "/api/v1/nothing-here"

    unauthorized = await client.get("/api/v1/me")
    assert unauthorized.status_code == 401
    assert unauthorized.headers["content-type"].startswith("application/problem+json")

    invalid = await client.get("/api/v1/organizations?limit=100000")
    assert invalid.status_code == 400
    assert invalid.headers["content-type"].startswith("application/problem+json")
    assert invalid.json()["status"] == 400


async def test_api_me_for_a_member(client: FormClient) -> None:
    await client.register("me@example.com", "我")
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == "me@example.com" and me.json()["organizations"] == []


async def test_openapi_schema_is_published(client: FormClient) -> None:
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/organizations" in paths and "/healthz" in paths


async def test_the_api_reference_loads_only_this_sites_pinned_files(client: FormClient) -> None:
    """/schema is Swagger UI from /static (a pinned copy), under the same strict CSP as every page: no
    script or style from another origin, no inline code."""
    page = await client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "cdn" not in csp
    assert "default-src 'self'" in csp
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, re.S)
    links = re.findall(r"<link\b[^>]*href=\"([^\"]+)\"", page.text)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _body in scripts]  # type: ignore[union-attr]
    assert all(not body.strip() for _attrs, body in scripts)  # no inline script
    assert "<style" not in page.text and " style=" not in page.text
    assert sources and links
    for url in sources + links:
        assert url.startswith("/static/"), url  # same origin, never a CDN
        served = await client.get(url)
        assert served.status_code == 200 and len(served.content) > 100, url
    assert any(re.search(r"/swagger-ui-\d+\.\d+\.\d+/swagger-ui-bundle\.js$", url) for url in sources)
    assert "http://" not in page.text and "https://" not in page.text
    # The schema the viewer reads is on this site too.
    assert 'data-spec-url="/schema/openapi.json"' in page.text
    assert (await client.get("/schema/openapi.json")).status_code == 200


@pytest.mark.e2e
def test_the_api_reference_renders_in_a_browser_without_breaking_the_csp(page: Any, live_server: str) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server) else None,
    )
    page.goto("/schema")
    page.locator("#swagger-ui .info .title").wait_for()
    assert "武汉OPC线上开放社区" in page.locator("#swagger-ui .info .title").inner_text()
    assert page.locator("#swagger-ui .opblock").count() >= 5  # the operations are listed
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert outside == []


async def test_security_headers_on_pages_and_errors(client: FormClient) -> None:
    for path in ("/", "/login", "/orgs/nope"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers  # plain http here


async def test_hsts_when_served_over_https(settings) -> None:  # type: ignore[no-untyped-def]
    from litestar.testing import AsyncTestClient

    from community.app import create_app

    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as https:
        response = await https.get("/login")
        assert "max-age=" in response.headers["strict-transport-security"]


async def test_zone_pages_in_the_navigation_all_answer(client: FormClient) -> None:
    home = await client.get("/")
    for path in ("/forum", "/scenarios", "/capabilities", "/products", "/vouchers", "/orgs"):
        assert f'href="{path}"' in home.text
        assert (await client.get(path)).status_code == 200, path


async def test_huge_form_field_is_refused_cleanly(client: FormClient) -> None:
    response = await client.submit(
        "/register", {"email": "a@example.com", "display_name": "x" * 2_000_000, "password": "longenough1"}
    )
    assert response.status_code in (400, 413)
    assert response.status_code != 500


async def test_an_unexpected_error_is_a_friendly_500_page_or_problem(settings) -> None:  # type: ignore[no-untyped-def]
    from litestar import get
    from litestar.testing import AsyncTestClient

    from community.app import create_app

    @get(["/boom", "/api/v1/boom"], include_in_schema=False)
    async def boom() -> str:
        raise RuntimeError("a bug")

    app = create_app(settings)
    app.register(boom)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        page = await client.get("/boom")
        assert page.status_code == 500
        assert "服务器出了点问题" in page.text and "a bug" not in page.text
        client.cookies.set("lang", "en", domain="testserver.local")
        english = await client.get("/boom")
        assert "Something went wrong on our side" in english.text
        api = await client.get("/api/v1/boom")
        assert api.status_code == 500
        assert api.headers["content-type"].startswith("application/problem+json")
        assert "a bug" not in api.text


async def test_nul_characters_are_refused_cleanly_everywhere(client: FormClient, db) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/orgs/%00")).status_code == 400
    assert (await client.get("/api/v1/organizations/%00")).status_code == 400
    assert (await client.get("/password/reset/%00x")).status_code == 400
    search = await client.get("/api/v1/search", params={"q": "abc\x00def"})
    assert search.status_code == 200 and search.json()["degraded"] is False
    registered = await client.register("nul@example.com", "名字\x00带空字符")
    assert registered.status_code == 200
    assert db.fetchval("SELECT display_name FROM user_account") == "名字带空字符"
