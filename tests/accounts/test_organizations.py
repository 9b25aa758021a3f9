"""Organizations: public profiles, private pages for members only, invitations by email, owners."""

from __future__ import annotations

import pytest

from tests.conftest import FormClient, Mailbox

STUDIO = {
    "name": "光谷智元 AI Studio",
    "org_type": "opc",
    "slug": "zhiyuan",
    "district": "洪山区",
    "summary": "视觉质检 + RAG 知识库 🚀",
    "internal_notes": "报价底线：5 万元",
}
FACTORY = {
    "name": "长江制造有限公司",
    "org_type": "enterprise",
    "slug": "changjiang",
    "internal_notes": "预算机密",
}


async def _owner_with(make_client, email: str, org: dict[str, str]) -> FormClient:
    person = await make_client()
    await person.register(email)
    response = await person.submit("/orgs/new", org)
    assert response.status_code == 200, response.text
    return person


async def test_create_an_organization_and_see_its_public_profile(make_client) -> None:
    owner = await _owner_with(make_client, "owner@example.com", STUDIO)
    visitor = await make_client()
    public = await visitor.get("/orgs/zhiyuan")
    assert public.status_code == 200
    assert "光谷智元 AI Studio" in public.text and "视觉质检 + RAG 知识库 🚀" in public.text
    assert "报价底线" not in public.text  # internal notes are private
    own = await owner.get("/orgs/zhiyuan")
    assert "报价底线" in own.text
    listing = await visitor.get("/orgs?type=opc")
    assert "光谷智元 AI Studio" in listing.text
    api = await visitor.get("/api/v1/organizations/zhiyuan")
    assert api.json()["name"] == "光谷智元 AI Studio" and "internal_notes" not in api.json()


async def test_bad_organization_form_keeps_fields(make_client, db) -> None:
    person = await make_client()
    await person.register("p@example.com")
    bad = {
        **STUDIO,
        "org_type": "pirate",
        "slug": "Not A Slug!",
        "website": "javascript:alert(1)",
        "district": "火星区",
    }
    response = await person.submit("/orgs/new", bad)
    assert response.status_code == 400
    for field in ("org_type", "slug", "website", "district"):
        assert f'id="e-{field}"' in response.text, field
    assert 'value="光谷智元 AI Studio"' in response.text
    assert db.fetchval("SELECT count(*) FROM organization") == 0


async def test_names_and_web_names_are_unique(make_client) -> None:
    await _owner_with(make_client, "a@example.com", STUDIO)
    other = await make_client()
    await other.register("b@example.com")
    same_name = await other.submit("/orgs/new", {**STUDIO, "slug": "other", "name": "光谷智元 ai studio"})
    assert same_name.status_code == 400 and 'id="e-name"' in same_name.text
    same_slug = await other.submit("/orgs/new", {**STUDIO, "name": "另一家"})
    assert same_slug.status_code == 400 and 'id="e-slug"' in same_slug.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orgs/changjiang/members"),
        ("GET", "/orgs/changjiang/edit"),
        ("POST", "/orgs/changjiang/edit"),
        ("POST", "/orgs/changjiang/invitations"),
    ],
)
async def test_a_member_of_one_organization_cannot_see_or_change_another(
    make_client, db, method, path
) -> None:
    await _owner_with(make_client, "factory@example.com", FACTORY)
    outsider = await _owner_with(make_client, "studio@example.com", STUDIO)
    if method == "GET":
        response = await outsider.get(path)
    else:
        response = await outsider.submit(
            path, {**FACTORY, "name": "被篡改", "email": "spy@example.com", "role": "owner"}
        )
    assert response.status_code == 403
    assert "预算机密" not in response.text
    assert db.fetchval("SELECT name FROM organization WHERE slug = 'changjiang'") == "长江制造有限公司"
    assert db.fetchval("SELECT count(*) FROM invitation") == 0
    # the private notes never show on the public page either
    assert "预算机密" not in (await outsider.get("/orgs/changjiang")).text


async def test_a_plain_member_sees_members_but_cannot_edit_or_invite(make_client, mailbox: Mailbox) -> None:
    owner = await _owner_with(make_client, "boss@example.com", FACTORY)
    await owner.submit("/orgs/changjiang/invitations", {"email": "staff@example.com", "role": "member"})
    link = Mailbox.link(mailbox.wait_for("staff@example.com"))
    staff = await make_client()
    await staff.register("staff@example.com", "员工")
    token_path = link.split("testserver.local", 1)[1]
    joined = await staff.submit(token_path, {})
    assert joined.status_code == 200 and "员工" in joined.text
    assert (await staff.get("/orgs/changjiang/members")).status_code == 200
    assert "预算机密" in (await staff.get("/orgs/changjiang")).text
    assert (await staff.get("/orgs/changjiang/edit")).status_code == 403
    assert (await staff.submit("/orgs/changjiang/invitations", {"email": "x@example.com"})).status_code == 403


async def test_invitation_must_be_accepted_by_the_invited_address(make_client, mailbox: Mailbox, db) -> None:
    owner = await _owner_with(make_client, "boss@example.com", FACTORY)
    invited = await owner.submit(
        "/orgs/changjiang/invitations", {"email": "Right@Example.com", "role": "member"}
    )
    assert invited.status_code == 200
    mail = mailbox.wait_for("right@example.com")
    assert "长江制造有限公司" in Mailbox.body(mail)
    path = Mailbox.link(mail).split("testserver.local", 1)[1]

    stranger = await make_client()
    await stranger.register("wrong@example.com")
    refused = await stranger.submit(path, {})
    assert refused.status_code == 400 and "right@example.com" in refused.text
    assert db.fetchval("SELECT count(*) FROM membership") == 1

    right = await make_client()
    await right.register("right@example.com")
    assert (await right.submit(path, {})).status_code == 200
    assert db.fetchval("SELECT count(*) FROM membership") == 2
    used = await right.get(path)
    assert "已被接受" in used.text


async def test_the_last_owner_cannot_leave(make_client, db) -> None:
    owner = await _owner_with(make_client, "boss@example.com", FACTORY)
    user_id = db.fetchval("SELECT id FROM user_account WHERE email = 'boss@example.com'")
    response = await owner.submit(f"/orgs/changjiang/members/{user_id}/remove", {})
    assert response.status_code == 400
    assert db.fetchval("SELECT count(*) FROM membership") == 1


async def test_unknown_organization_is_a_friendly_404(client: FormClient) -> None:
    response = await client.get("/orgs/does-not-exist")
    assert response.status_code == 404
    assert "首页" in response.text
    api = await client.get("/api/v1/organizations/does-not-exist")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 404


async def test_an_expired_invitation_can_be_sent_again(make_client, mailbox: Mailbox, db) -> None:
    owner = await _owner_with(make_client, "boss@example.com", FACTORY)
    await owner.submit("/orgs/changjiang/invitations", {"email": "late@example.com", "role": "member"})
    db.fetchval("UPDATE invitation SET expires_at = now() - interval '1 day'")
    again = await owner.submit(
        "/orgs/changjiang/invitations", {"email": "late@example.com", "role": "member"}
    )
    assert again.status_code == 200
    assert db.fetchval("SELECT count(*) FROM invitation WHERE revoked_at IS NULL") == 1


async def test_double_click_on_join_joins_once(make_client, mailbox: Mailbox, db) -> None:
    import asyncio

    owner = await _owner_with(make_client, "boss@example.com", FACTORY)
    await owner.submit("/orgs/changjiang/invitations", {"email": "twice@example.com", "role": "member"})
    path = Mailbox.link(mailbox.wait_for("twice@example.com")).split("testserver.local", 1)[1]
    person = await make_client()
    await person.register("twice@example.com")
    token = await person.csrf_token()
    first, second = await asyncio.gather(
        person.client.post(path, data={"_csrf_token": token}),
        person.client.post(path, data={"_csrf_token": token}),
    )
    assert {first.status_code, second.status_code} <= {200, 302, 303}
    assert db.fetchval("SELECT count(*) FROM membership") == 2


def test_an_organization_is_indexed_by_the_words_a_reader_sees() -> None:
    from community.accounts.documents import organization_document
    from community.accounts.models import Organization, OrgType

    org = Organization(
        name="光谷智元",
        slug="zhiyuan",
        org_type=OrgType.OPC,
        summary="**视觉质检** · [官网](https://x.example)",
    )
    document = organization_document(org)
    assert document.body == "视觉质检 · 官网"
    assert document.url == "/orgs/zhiyuan" and document.status == "opc"
