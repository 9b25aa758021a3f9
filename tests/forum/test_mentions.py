"""Mentions by handle: a member whose name has a space is mentioned by their @handle, linked and told; old
@displayname mentions still work when only one active member has that name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from community.accounts.models import User
from community.notifications.models import Notification
from tests.forum.conftest import ask, open_levels, topic_id


async def _user(services: Any, email: str) -> User:
    return (await services.scalars(select(User).where(User.email == email))).one()


async def test_a_member_whose_name_has_a_space_is_mentioned_by_handle_and_told(member, services) -> None:
    await open_levels(services, 2)
    li = await member("li.wei@example.com", "Li Wei")
    bob = await member("bob@example.com", "Bob Chen")
    li_user = await _user(services, "li.wei@example.com")
    assert li_user.handle == "li_wei"  # made from the name at registration

    asked = await ask(bob, title="谁熟悉 pgvector 的索引参数？")
    tid = topic_id(asked)
    # Any case, and a Chinese sentence going on right after the handle.
    replied = await bob.submit(f"/forum/t/{tid}/reply", {"body": "这个问题 @Li_Wei请看一下，谢谢！"})
    assert replied.status_code == 200
    assert f'<a href="/forum/u/{li_user.id}" class="mention"' in replied.text
    assert "@Li_Wei</a>请看一下" in replied.text

    inbox = (await li.get("/notifications")).text
    assert "谁熟悉 pgvector 的索引参数？" in inbox
    # The member's page shows the handle others mention them by.
    assert "@li_wei" in (await bob.get(f"/forum/u/{li_user.id}")).text


async def test_display_names_count_only_when_one_active_member_has_them(member, services) -> None:
    await open_levels(services, 2)
    author = await member("author@example.com", "作者")
    await member("ming1@example.com", "小明")
    await member("ming2@example.com", "小明")
    alice = await member("alice@example.com", "Alice")
    await member("gone@example.com", "Gone Member")
    gone_user = await _user(services, "gone@example.com")
    await services.execute(update(User).where(User.id == gone_user.id).values(is_active=False))
    await services.commit()

    asked = await ask(author, title="名字相同的两个人怎么提到？")
    body = "@Alice 你好；@小明 你好；@" + gone_user.handle + " 你好"
    replied = await author.submit(f"/forum/t/{topic_id(asked)}/reply", {"body": body})
    assert replied.status_code == 200
    alice_user = await _user(services, "alice@example.com")
    # The one Alice is linked (an old-style mention); the two 小明 are nobody; a deactivated member is text.
    assert f'<a href="/forum/u/{alice_user.id}" class="mention"' in replied.text
    assert replied.text.count('class="mention"') == 1
    assert "名字相同的两个人怎么提到？" in (await alice.get("/notifications")).text
    told = select(func.count()).select_from(Notification).where(Notification.recipient_id == gone_user.id)
    assert await services.scalar(told) == 0
