"""New members' limits with when they may post again; flags hide a post until a moderator restores it;
a new member's first post with links waits in the review queue; every moderator action is logged."""

from __future__ import annotations

import re

from tests.forum.conftest import admin, ask, open_levels, topic_id


async def test_new_member_sees_when_they_may_post_again(member, client) -> None:
    # Default thresholds: a member who just registered is at trust level 0.
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    tid = topic_id(await ask(alice))
    first = await bob.submit(f"/forum/t/{tid}/reply", {"body": "第一条回复 first reply"})
    assert first.status_code == 200
    second = await bob.submit(f"/forum/t/{tid}/reply", {"body": "第二条回复 second reply, too soon"})
    assert second.status_code == 429 and int(second.headers["retry-after"]) <= 30
    error = re.search(r'<p class="error" id="e-body"[^>]*>(.*?)</p>', second.text, re.S).group(1)  # type: ignore[union-attr]
    assert "30" in error and re.search(r"\d{1,2}:\d{2}", error), error  # says how long, and until when
    assert "第二条回复 second reply, too soon" in second.text  # what they wrote is kept

    # A second topic within two minutes: refused, with the time.
    again = await alice.submit(
        "/forum/new",
        {
            "title": "第二个问题 second question",
            "body": "正文正文正文正文正文",
            "kind": "question",
            "category": "qa",
        },
    )
    assert again.status_code == 429 and 'id="e-body"' in again.text
    assert 'value="第二个问题 second question"' in again.text

    # The JSON API answers 429 problem details with Retry-After.
    token = await bob.csrf_token()
    api = await bob.post(
        f"/api/v1/forum/topics/{tid}/posts",
        json={"body": "via the API, too soon"},
        headers={"x-csrftoken": token},
    )
    assert api.status_code == 429 and api.headers["retry-after"]
    assert (
        api.headers["content-type"].startswith("application/problem+json") and api.json()["retry_after"] > 0
    )


async def test_new_members_may_add_at_most_two_links_and_first_link_post_waits_for_review(
    member, make_client, services, client
) -> None:
    alice = await member("alice@example.com", "Alice")
    spam = "Buy now https://a.example https://b.example https://c.example"
    refused = await alice.submit(
        "/forum/new", {"title": "很多链接 many links", "body": spam, "kind": "discussion", "category": "meta"}
    )
    assert refused.status_code == 400 and "2" in refused.text and 'id="e-body"' in refused.text

    made = await alice.submit(
        "/forum/new",
        {
            "title": "我的开源项目 my project",
            "body": "见 https://github.com/example/rag-kit 欢迎 star",
            "kind": "discussion",
            "category": "open-source",
        },
    )
    assert made.status_code == 200 and 'class="flash' in made.text
    path = str(made.url).replace("http://testserver.local", "")
    assert (await client.get(path)).status_code == 404  # readers do not see it yet
    assert "我的开源项目" not in (await client.get("/forum")).text

    moderator = await admin(make_client, services)
    queue = await moderator.get("/forum/review")
    assert "我的开源项目 my project" in queue.text
    post_id = int(re.search(r'id="q(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
    await moderator.submit(f"/forum/p/{post_id}/moderate", {"action": "approve"})
    assert (await client.get(path)).status_code == 200
    assert "我的开源项目" in (await client.get("/forum")).text
    assert "approve" in (await moderator.get("/forum/mod-log")).text


async def test_flagged_post_disappears_for_readers_and_a_moderator_restores_it(
    member, make_client, services, client, db
) -> None:
    await open_levels(services, 2)  # everyone's flags weigh (level 2), nobody moderates
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    tid = topic_id(await ask(alice))
    reply = await bob.submit(f"/forum/t/{tid}/reply", {"body": "这是一条广告回复 SPAMMY reply"})
    topic_path = str(reply.url).split("#")[0].replace("http://testserver.local", "")
    post_id = int(re.search(r"#p(\d+)", str(reply.url)).group(1))  # type: ignore[union-attr]

    # Flag form errors come back beside their fields; "other" needs a reason.
    carol = await member("carol@example.com", "Carol")
    bad = await carol.submit(f"/forum/p/{post_id}/flag", {"reason": "other", "note": ""})
    assert bad.status_code == 400 and 'id="e-note"' in bad.text
    assert (await bob.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})).status_code == 400  # own post

    for i, email in enumerate(["carol@example.com", "dave@example.com", "erin@example.com"]):
        flagger = carol if i == 0 else await member(email, f"Flagger{i}")
        response = await flagger.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})
        assert response.status_code == 200
        again = await flagger.submit(f"/forum/p/{post_id}/flag", {"reason": "spam"})
        # One open flag per member and post (a unique index); once hidden, the post is gone for flaggers.
        assert again.status_code == (404 if i == 2 else 400)
    assert db.fetchval("SELECT count(*) FROM forum_flag WHERE post_id = $1", post_id) == 3

    reader_view = await client.get(topic_path)
    assert "SPAMMY reply" not in reader_view.text
    assert "SPAMMY reply" in (await bob.get(topic_path)).text  # its author still sees it, marked hidden

    moderator = await admin(make_client, services)
    queue = await moderator.get("/forum/review")
    assert "SPAMMY reply" in queue.text and "Flagger1" in queue.text
    await moderator.submit(f"/forum/p/{post_id}/moderate", {"action": "restore"})
    assert "SPAMMY reply" in (await client.get(topic_path)).text
    # A moderator may edit the post too; the edit is in the history and in the log.
    edited = await moderator.submit(
        f"/forum/p/{post_id}/edit", {"body": "已由版主删去广告 ad removed by a moderator"}
    )
    assert edited.status_code == 200 and "ad removed by a moderator" in edited.text
    log = (await moderator.get("/forum/mod-log")).text
    assert "auto_hide" in log and "restore" in log and "<td>edit</td>" in log
    # Members who are not moderators cannot use the queue or act.
    assert (await carol.get("/forum/review")).status_code == 403
    assert (await carol.submit(f"/forum/p/{post_id}/moderate", {"action": "hide"})).status_code == 403


async def test_admins_change_trust_thresholds_and_bad_values_come_back(member, make_client, services) -> None:
    moderator = await admin(make_client, services)
    page = await moderator.get("/forum/admin")
    assert page.status_code == 200 and 'name="l1_posts" id="f-l1_posts" value="3"' in page.text
    bad = await moderator.submit(
        "/forum/admin/trust",
        {
            "l1_posts": "-1",
            "l1_reputation": "abc",
            "l1_days": "0",
            "l2_posts": "0",
            "l2_reputation": "0",
            "l2_days": "0",
            "l3_posts": "0",
            "l3_reputation": "0",
            "l3_days": "0",
            "l4_posts": "9",
            "l4_reputation": "0",
            "l4_days": "0",
        },
    )
    assert bad.status_code == 400 and 'id="e-l1_posts"' in bad.text and 'value="abc"' in bad.text
    alice = await member("alice@example.com", "Alice")
    assert (await alice.get("/forum/admin")).status_code == 403
