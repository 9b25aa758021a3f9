"""The admins' synonyms page: an admin adds what people type and what the documents call it, and search uses
it at once; nobody else can read or change the list, and a form without its CSRF token is refused."""

from __future__ import annotations

from typing import Any

from community.accounts.services import AccountService
from tests.conftest import FormClient, outbox_drained

PASSWORD = "correct horse 42"
PAGE = "/admin/search/synonyms"


async def _admin(services: Any) -> None:
    await AccountService(services).create_admin("admin@example.com", PASSWORD, "管理员")
    await services.commit()


async def _a_policy(client: FormClient, db: Any) -> None:
    """A document titled with the word the documents use, indexed the way every zone's are."""
    await client.register("owner@example.com")
    response = await client.submit(
        "/orgs/new",
        {"name": "数据产品使用补助申报服务站", "org_type": "opc", "slug": "dp", "summary": "帮企业申报。"},
    )
    assert response.status_code == 200
    await outbox_drained(db)
    await client.logout()


async def test_an_admin_adds_a_synonym_and_search_uses_it_at_once(
    client: FormClient, services: Any, db: Any
) -> None:
    await _admin(services)
    await _a_policy(client, db)
    before = await client.get("/api/v1/search", params={"q": "有没有数智券"})
    assert "/orgs/dp" not in [hit["url"] for hit in before.json()["hits"]]

    await client.login("admin@example.com", PASSWORD)
    assert (await client.get(PAGE)).status_code == 200
    saved = await client.submit(PAGE, {"term": " 数智券 ", "expansions": "数据产品使用补助， 数据券"})
    assert saved.status_code == 200 and "数据产品使用补助、数据券" in saved.text

    after = await client.get("/api/v1/search", params={"q": "有没有数智券"})
    assert after.json()["hits"][0]["url"] == "/orgs/dp"
    page = await client.get("/search", params={"q": "数智券"})
    assert 'href="/orgs/dp"' in page.text

    # Removed, it no longer applies.
    synonym_id = db.fetchval("SELECT id FROM search_synonym WHERE term = '数智券'")
    assert (await client.submit(f"{PAGE}/{synonym_id}/delete")).status_code == 200
    assert db.fetchval("SELECT count(*) FROM search_synonym WHERE term = '数智券'") == 0
    gone = await client.get("/api/v1/search", params={"q": "有没有数智券"})
    assert "/orgs/dp" not in [hit["url"] for hit in gone.json()["hits"]]


async def test_a_refused_synonym_comes_back_with_its_fields_and_the_reason(
    client: FormClient, services: Any, db: Any
) -> None:
    await _admin(services)
    await client.login("admin@example.com", PASSWORD)
    for form, wrong in [
        ({"term": "", "expansions": "算力服务券"}, "term"),
        ({"term": "算力券", "expansions": " , 算力券 ,"}, "expansions"),
        ({"term": "券" * 41, "expansions": "算力服务券"}, "term"),
        ({"term": "算力券", "expansions": ",".join(f"词{i}" for i in range(11))}, "expansions"),
    ]:
        response = await client.submit(PAGE, form)
        assert response.status_code == 400, form
        assert f'id="e-{wrong}"' in response.text
        assert f'value="{form["term"]}"' in response.text
    assert db.fetchval("SELECT count(*) FROM search_synonym") == 0


async def test_no_one_but_an_admin_reads_or_changes_the_synonyms(
    make_client: Any, services: Any, db: Any
) -> None:
    await _admin(services)
    member = await make_client()
    await member.register("member@example.com")
    assert (await member.get(PAGE)).status_code in (401, 403)
    refused = await member.submit(PAGE, {"term": "算力券", "expansions": "钓鱼网站"})
    assert refused.status_code in (401, 403)
    admin = await make_client()
    await admin.login("admin@example.com", PASSWORD)
    await admin.submit(PAGE, {"term": "体验券", "expansions": "ai产品体验券"})
    synonym_id = db.fetchval("SELECT id FROM search_synonym")
    assert (await member.submit(f"{PAGE}/{synonym_id}/delete")).status_code in (401, 403)

    visitor = await make_client()
    assert (await visitor.get(PAGE)).status_code in (401, 403) or "/login" in str(
        (await visitor.get(PAGE)).url
    )
    # The admin's own form, sent without its CSRF token (from another site), is refused too.
    forged = await admin.post(PAGE, data={"term": "算力券", "expansions": "钓鱼网站"})
    assert forged.status_code == 403
    assert db.fetchval("SELECT count(*) FROM search_synonym") == 1
    assert db.fetchval("SELECT expansions[1] FROM search_synonym") == "ai产品体验券"
