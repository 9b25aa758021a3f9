"""Registering, the waiting list moving up, audience rules, reminders and cancellation, with the in-site
notifications and the real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import OrgType, User
from community.errors import FormError
from community.events.documents import event_document
from community.events.inputs import EventInput, local_input
from community.events.models import RegistrationStatus
from community.events.services.events import EventService
from community.events.services.registrations import RegistrationService
from community.notifications.models import Notification
from community.vouchers.services.students import StudentService, UniversityService
from tests.conftest import Mailbox
from tests.events.conftest import World, add_org, add_user, event_form, make_event, members
from tests.events.helpers import mails_to, run_due_jobs


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


async def kinds_for(db: AsyncSession, user_id: Any) -> list[str]:
    return list(await db.scalars(select(Notification.kind).where(Notification.recipient_id == user_id)))


async def test_a_cancellation_moves_the_first_waiting_person_up_and_tells_them_here_and_by_email(
    world: World, services: AsyncSession, settings: Any, mailbox: Mailbox
) -> None:
    db = services
    event = await make_event(db, world.organizer, world.center, capacity="2", title="武创荟 OPC 专场路演")
    await db.commit()
    a, b, c, d = await members(db, 4)
    service = RegistrationService(db)
    states = [await service.register(p, event.id) for p in (a, b, c, d)]
    await db.commit()
    assert [s.status for s in states] == [RegistrationStatus.REGISTERED] * 2 + [
        RegistrationStatus.WAITING
    ] * 2
    assert [s.position for s in states] == [None, None, 1, 2]

    await service.cancel(b, event.id)
    await db.commit()
    await run_due_jobs(settings)

    moved = await service.state_of(c.id, event.id)
    assert moved is not None and moved.status is RegistrationStatus.REGISTERED
    still = await service.state_of(d.id, event.id)
    assert still is not None and still.position == 1
    assert "event_promoted" in await kinds_for(db, c.id)
    assert await kinds_for(db, d.id) == []
    (mail,) = [m for m in mails_to(mailbox, c.email) if "武创荟" in subject(m) and "提醒" not in subject(m)]
    body = Mailbox.body(mail)
    assert "武创荟 OPC 专场路演" in body and "光谷软件园" in body and f"/events/{event.id}" in body
    assert mails_to(mailbox, d.email) == []

    # Registering again after cancelling goes to the end of the list.
    again = await service.register(b, event.id)
    await db.commit()
    assert again.status is RegistrationStatus.WAITING and again.position == 2


async def test_someone_outside_the_audience_is_refused_with_the_reason(
    world: World, services: AsyncSession, client: Any
) -> None:
    db = services
    investors_only = await make_event(
        db,
        world.organizer,
        world.center,
        kind="investment",
        title="OPC 专场投融资对接会",
        audience="org_types",
        audience_org_types=["opc", "investment"],
    )
    students_only = await make_event(
        db, world.organizer, world.center, title="大学生 AI 创业训练营", audience="students"
    )
    enterprise_member = await add_user(db, "ent@example.com", "王芳")
    await add_org(db, enterprise_member, "光谷医联数字健康", "yilian", OrgType.ENTERPRISE)
    await db.commit()
    investors_id, students_id, enterprise_id = investors_only.id, students_only.id, enterprise_member.id
    service = RegistrationService(db)

    with pytest.raises(FormError) as refused:
        await service.register(enterprise_member, investors_only.id)
    reason = refused.value.errors["registration"]
    assert "OPC" in reason and "投资机构" in reason
    assert (
        await service.register(world.opc_member, investors_only.id)
    ).status is RegistrationStatus.REGISTERED

    with pytest.raises(FormError) as not_student:
        await service.register(world.opc_member, students_only.id)
    assert "学生" in not_student.value.errors["registration"]
    student = await add_user(db, "student@example.com", "林同学")
    whu = next(u for u in await UniversityService(db).list() if "whu.edu.cn" in u.email_domains)
    await StudentService(db).grant(student.id, whu.id, "lin@whu.edu.cn")
    assert (await service.register(student, students_id)).status is RegistrationStatus.REGISTERED
    await db.commit()

    # The page says why before anyone clicks, and offers no button.
    await client.login("ent@example.com")
    page = await client.get(f"/events/{investors_id}")
    assert page.status_code == 200
    assert "投资机构" in page.text and "refusal" in page.text
    assert f'action="/events/{investors_id}/register"' not in page.text
    # Posting anyway is refused with the same reason, and nothing is stored.
    response = await client.submit(f"/events/{investors_id}/register")
    assert "投资机构" in response.text
    assert await service.state_of(enterprise_id, investors_id) is None


async def test_the_reminder_goes_out_once_through_the_job_and_never_after_cancelling(
    world: World, services: AsyncSession, settings: Any, mailbox: Mailbox
) -> None:
    db = services
    soon = await make_event(
        db,
        world.organizer,
        world.center,
        title="AI 编程工具实战课",
        mode="online",
        online_url="https://meeting.example.com/j/123456",
        starts_at=_local(timedelta(hours=5)),
        ends_at=_local(timedelta(hours=7)),
    )
    later = await make_event(db, world.organizer, world.center, title="模型工具沙龙")
    await db.commit()
    stays, leaves = await add_user(db, "stays@example.com"), await add_user(db, "leaves@example.com")
    service = RegistrationService(db, reminder_hours=24)
    for person in (stays, leaves):
        await service.register(person, soon.id)
        await service.register(person, later.id)
    await db.commit()
    await service.cancel(leaves, soon.id)
    await db.commit()

    await run_due_jobs(settings)
    (mail,) = mails_to(mailbox, "stays@example.com")
    body = Mailbox.body(mail)
    assert "AI 编程工具实战课" in subject(mail)
    assert "https://meeting.example.com/j/123456" in body  # the link goes to people holding a place
    assert "时间：" in body and f"/events/{soon.id}" in body
    assert mails_to(mailbox, "leaves@example.com") == []  # cancelled: no reminder

    # Sent once: running the queue again, or scheduling again, sends nothing more.
    await RegistrationService(db).schedule_reminders(await EventService(db).get(soon.id))
    await db.commit()
    await run_due_jobs(settings)
    assert len(mails_to(mailbox, "stays@example.com")) == 1
    # The later event's reminders wait for their time (24 h before it starts).
    assert "模型工具沙龙" not in " ".join(subject(m) for m in mailbox.messages)


async def test_cancelling_an_event_tells_everyone_with_the_reason_and_stops_reminders(
    world: World, services: AsyncSession, settings: Any, mailbox: Mailbox
) -> None:
    db = services
    event = await make_event(
        db,
        world.organizer,
        world.center,
        capacity="1",
        starts_at=_local(timedelta(hours=6)),
        ends_at=_local(timedelta(hours=8)),
    )
    await db.commit()
    holder, waiter = await members(db, 2)
    service = RegistrationService(db)
    await service.register(holder, event.id)
    await service.register(waiter, event.id)
    await db.commit()
    organizer = await db.get(User, world.organizer.id)
    assert organizer is not None
    await EventService(db).cancel(organizer, event.id, "讲师临时出差，改期另行通知")
    await db.commit()
    await run_due_jobs(settings)

    for person in (holder, waiter):
        assert "event_cancelled" in await kinds_for(db, person.id)
        mails = mails_to(mailbox, person.email)
        assert len(mails) == 1 and "讲师临时出差" in Mailbox.body(mails[0])  # the cancellation, no reminder
    with pytest.raises(FormError):
        await service.register(await add_user(db, "late@example.com"), event.id)


def _local(delta: timedelta) -> str:
    from tests.events.conftest import local

    return local(delta)


async def test_more_places_move_the_waiting_list_up_and_an_admin_may_organize_for_any_organization(
    world: World, services: AsyncSession
) -> None:
    db = services
    admin = await db.get(User, world.admin.id)
    assert admin is not None
    # The admin is no member of the center, yet may publish for it.
    event = await make_event(db, admin, world.center, capacity="1", title="人工智能引才活动")
    await db.commit()
    people = await members(db, 3)
    service = RegistrationService(db)
    for person in people:
        await service.register(person, event.id)
    await db.commit()
    data = EventInput.from_mapping(
        {
            **event_form(organization=str(world.center.id), title="人工智能引才活动", capacity="2"),
            "starts_at": local_input(event.starts_at),
            "ends_at": local_input(event.ends_at),
        }
    )
    await EventService(db).update(admin, event.id, data)
    await db.commit()
    states = [await service.state_of(p.id, event.id) for p in people]
    assert [s.status for s in states if s] == [
        RegistrationStatus.REGISTERED,
        RegistrationStatus.REGISTERED,
        RegistrationStatus.WAITING,
    ]
    assert "event_promoted" in await kinds_for(db, people[1].id)
    # Fewer places than people registered is refused beside the field.
    with pytest.raises(FormError) as fewer:
        await EventService(db).update(
            admin,
            event.id,
            EventInput.from_mapping({**event_form(organization=str(world.center.id)), "capacity": "1"}),
        )
    assert "2" in fewer.value.errors["capacity"]
    # A member of no organization may not organize at all.
    loner = await add_user(db, "loner@example.com")
    with pytest.raises(FormError) as nowhere:
        await EventService(db).create(loner, EventInput.from_mapping(event_form()), publish=True)
    assert "organization" in nowhere.value.errors


async def test_the_search_document_holds_what_a_reader_sees_never_markdown_or_the_online_link(
    world: World, services: AsyncSession
) -> None:
    event = await make_event(
        services,
        world.organizer,
        world.center,
        mode="online",
        online_url="https://meeting.example.com/secret-room",
        description="## 日程\n\n- **上午**：[智能体编排](https://example.com/agenda)\n\n```\ncode\n```",
    )
    document = event_document(event, world.center.name)
    assert "专项培训" in document.body and world.center.name in document.body
    assert "智能体编排" in document.body and "上午" in document.body
    assert "##" not in document.body and "**" not in document.body and "example.com" not in document.body
    assert "secret-room" not in document.body
