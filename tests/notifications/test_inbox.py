"""In-site notifications: the header count, the inbox, opening one, and privacy between members."""

from __future__ import annotations

from sqlalchemy import select

from community.accounts.models import User
from community.notifications.services import NotificationService


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
        alice_id, "test.hello", "Bob 回答了你的问题 <script>x</script>", "/orgs", actor_id=bob_id
    )
    await notes.notify(alice_id, "test.hello", "第二条", "https://evil.example/phish", actor_id=bob_id)
    assert await notes.notify(bob_id, "test.self", "自己做的事不通知自己", "/", actor_id=bob_id) is None
    await services.commit()

    home = await alice.get("/")
    assert 'class="badge unread-count"' in home.text and ">2</span>" in home.text
    assert "unread-count" not in (await bob.get("/")).text

    inbox = await alice.get("/notifications")
    assert "Bob 回答了你的问题 &lt;script&gt;" in inbox.text  # shown as text, never as HTML
    assert "<script>x</script>" not in inbox.text

    opened = await alice.get(f"/notifications/{first.id}", follow_redirects=False)
    assert opened.status_code in (302, 303) and opened.headers["location"] == "/orgs"
    assert ">1</span>" in (await alice.get("/")).text

    # Someone else's notification is "not found", and it stays unread for its owner.
    assert (await bob.get(f"/notifications/{first.id}", follow_redirects=False)).status_code == 404

    api = (await alice.get("/api/v1/notifications?unread=true")).json()
    assert api["unread"] == 1 and [n["subject"] for n in api["items"]] == ["第二条"]
    # An address off the site is never followed from a notification.
    second = api["items"][0]["id"]
    assert (await alice.get(f"/notifications/{second}", follow_redirects=False)).headers["location"] == (
        "/notifications"
    )

    await alice.submit("/notifications/read-all")
    assert "unread-count" not in (await alice.get("/")).text


async def test_inbox_needs_login(client) -> None:
    page = await client.get("/notifications", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
    assert (await client.get("/api/v1/notifications")).status_code == 401
