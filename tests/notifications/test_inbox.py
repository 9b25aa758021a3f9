"""In-site notifications: the header count, the inbox, opening one, and privacy between members."""

from __future__ import annotations

from sqlalchemy import select

from community.accounts.models import User
from community.notifications.notices import Notice, register_notices
from community.notifications.services import NotificationService

# A notice whose sentence is its one parameter: these tests are about the inbox, not the wording.
SAYS = Notice("test.says", "%(text)s")
register_notices([SAYS])


async def _user_id(services, email: str):
    return (await services.scalars(select(User.id).where(User.email == email))).one()


async def test_unread_count_inbox_and_open(make_client, services) -> None:
    alice = await make_client()
    await alice.register("alice@example.com", name="Alice")
    bob = await make_client()
    await bob.register("bob@example.com", name="Bob")
    alice_id = await _user_id(services, "alice@example.com")
    bob_id = await _user_id(services, "bob@example.com")

    notes = NotificationService(services)
    first = await notes.notify(
        alice_id, SAYS, "/orgs", {"text": "Bob 回答了你的问题 <script>x</script>"}, actor_id=bob_id
    )
    await notes.notify(alice_id, SAYS, "https://evil.example/phish", {"text": "第二条"}, actor_id=bob_id)
    assert await notes.notify(bob_id, SAYS, "/", {"text": "自己做的事不通知自己"}, actor_id=bob_id) is None
    await services.commit()

    home = await alice.get("/")
    assert 'class="badge unread-count"' in home.text and ">2</span>" in home.text
    assert "unread-count" not in (await bob.get("/")).text

    inbox = await alice.get("/notifications")
    assert "Bob 回答了你的问题 &lt;script&gt;" in inbox.text  # shown as text, never as HTML
    assert "<script>x</script>" not in inbox.text

    # Opening one is a small form in the inbox: it marks it read, then goes where it points.
    assert f'<form method="post" action="/notifications/{first.id}"' in inbox.text
    opened = await alice.submit(f"/notifications/{first.id}", follow_redirects=False)
    assert opened.status_code in (302, 303) and opened.headers["location"] == "/orgs"
    assert ">1</span>" in (await alice.get("/")).text

    # Someone else's notification is "not found", and it stays unread for its owner.
    assert (await bob.submit(f"/notifications/{first.id}", follow_redirects=False)).status_code == 404
    assert (await bob.get(f"/notifications/{first.id}", follow_redirects=False)).status_code == 404

    api = (await alice.get("/api/v1/notifications?unread=true")).json()
    assert api["unread"] == 1 and [n["subject"] for n in api["items"]] == ["第二条"]
    # An address off the site is never followed from a notification.
    second = api["items"][0]["id"]
    assert (await alice.submit(f"/notifications/{second}", follow_redirects=False)).headers["location"] == (
        "/notifications"
    )

    await alice.submit("/notifications/read-all")
    assert "unread-count" not in (await alice.get("/")).text


async def test_inbox_needs_login(client) -> None:
    page = await client.get("/notifications", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
    assert (await client.get("/api/v1/notifications")).status_code == 401


async def test_a_get_marks_nothing_read_only_the_post_with_its_token_does(make_client, services, db) -> None:
    """An image in a post pointing at /notifications/{id} (a GET) must not mark it read; nor may another
    site's form (a POST without the CSRF token)."""
    alice = await make_client()
    await alice.register("alice@example.com", name="Alice")
    note = await NotificationService(services).notify(
        await _user_id(services, "alice@example.com"), SAYS, "/forum", {"text": "有人回答了你"}
    )
    await services.commit()

    def unread() -> int:
        return int(db.fetchval("SELECT count(*) FROM notification WHERE read_at IS NULL"))

    followed = await alice.get(f"/notifications/{note.id}", follow_redirects=False)
    assert followed.status_code in (302, 303) and followed.headers["location"] == "/forum"
    assert unread() == 1  # the GET only says where it points
    forged = await alice.client.post(f"/notifications/{note.id}", follow_redirects=False)
    assert forged.status_code == 403 and unread() == 1  # no token: refused
    opened = await alice.submit(f"/notifications/{note.id}", follow_redirects=False)
    assert opened.status_code in (302, 303) and opened.headers["location"] == "/forum"
    assert unread() == 0


async def test_the_api_marks_one_notification_read(make_client, services) -> None:
    alice = await make_client()
    await alice.register("alice@example.com", name="Alice")
    bob = await make_client()
    await bob.register("bob@example.com", name="Bob")
    note = await NotificationService(services).notify(
        await _user_id(services, "alice@example.com"), SAYS, "/forum", {"text": "一条"}
    )
    await services.commit()
    token = await alice.csrf_token()
    assert (
        await bob.post(
            f"/api/v1/notifications/{note.id}/read", headers={"x-csrftoken": await bob.csrf_token()}
        )
    ).status_code == 404
    marked = await alice.post(f"/api/v1/notifications/{note.id}/read", headers={"x-csrftoken": token})
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert (await alice.get("/api/v1/notifications")).json()["unread"] == 0
