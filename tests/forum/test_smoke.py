from __future__ import annotations

from tests.forum.conftest import ask, open_all_levels


async def test_pages_render(client, member, services) -> None:
    await open_all_levels(services)
    for path in ("/forum", "/forum/c/qa", "/forum/tags", "/forum/tools", "/forum/feed"):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
    a = await member("a@example.com", "Alice")
    new = await a.get("/forum/new")
    assert new.status_code == 200, new.text[:3000]
    response = await ask(a)
    assert "/forum/t/" in str(response.url), response.text[:3000]
    assert '<span class="k">def</span>' in response.text
