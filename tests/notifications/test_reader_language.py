"""A notification reads in its reader's language, wherever it is read (the inbox, the API, the mail), whoever
triggered it and in whatever language; and the talent zone's notices come by mail at the member's rhythm."""

from __future__ import annotations

from dataclasses import replace
from email.header import decode_header, make_header
from email.message import Message
from html import unescape
from typing import Any

import pytest
from sqlalchemy import update

from community.accounts.models import User
from community.config import Settings
from community.talent.services.applications import ApplicationService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService
from tests.conftest import Mailbox
from tests.talent.conftest import POSITION, PROFILE, add_org, add_user, apply, login, make_pdf

TITLE = POSITION["title"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The CV sent with an application is read in a child process; on a busy machine give it time."""
    return replace(settings, pdf_check_timeout_seconds=60.0)


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


async def people(services: Any, *, applicant_locale: str, owner_locale: str) -> tuple[User, User, Any]:
    """An OPC owner and an applicant, each with their saved language, and an open position of the OPC."""
    owner = await add_user(services, "owner@example.com", "张薇")
    opc = await add_org(services, owner, "青云智能体工作室", "qingyun")
    position = await PositionService(services).create(owner, opc.id, POSITION, publish=True)
    applicant = await add_user(services, "applicant@example.com", "Wang Xiaoming")
    await ProfileService(services).save(applicant, PROFILE)
    await services.execute(update(User).where(User.id == owner.id).values(locale=owner_locale))
    await services.execute(update(User).where(User.id == applicant.id).values(locale=applicant_locale))
    await services.commit()
    return owner, applicant, position


async def test_a_notice_reads_in_the_readers_language_in_the_list_the_api_and_the_mail(
    make_client: Any, services: Any, db: Any, mailbox: Mailbox
) -> None:
    """An English-speaking applicant applies to a Chinese-speaking owner, who invites them to an interview:
    each reads the other's action in their own language, on the site and in the mail."""
    _owner, applicant, position = await people(services, applicant_locale="en", owner_locale="zh_CN")
    seen = mailbox.seen()
    candidate = await login(make_client, "applicant@example.com")
    assert (await apply(candidate, position.id, make_pdf())).status_code == 200

    # The owner reads the English speaker's application in Chinese: the inbox, the API and the mail.
    boss = await login(make_client, "owner@example.com")
    inbox = unescape((await boss.get("/notifications")).text)
    assert f"Wang Xiaoming 申请了“{TITLE}”。请在" in inbox
    api = (await boss.get("/api/v1/notifications")).json()
    assert api["items"][0]["subject"].startswith(f"Wang Xiaoming 申请了“{TITLE}”")
    mail = await mailbox.take_waiting("owner@example.com", seen)
    assert subject_of(mail).startswith(f"Wang Xiaoming 申请了“{TITLE}”")
    body = Mailbox.body(mail)
    assert "张薇，您好" in body and f"申请了“{TITLE}”" in body and "/talent/positions/" in body

    # The owner, in Chinese, invites the applicant to an interview: the applicant reads it in English.
    application_id = db.fetchval("SELECT id FROM talent_application")
    answered = await boss.submit(
        f"/talent/applications/{application_id}/interview", {"note": "周三下午两点。"}
    )
    assert answered.status_code == 200
    expected = f"青云智能体工作室 invites you to an interview for “{TITLE}”."
    inbox = unescape((await candidate.get("/notifications")).text)
    assert expected in inbox and "邀请你参加" not in inbox
    assert (await candidate.get("/api/v1/notifications")).json()["items"][0]["subject"] == expected
    mail = await mailbox.take_waiting("applicant@example.com", seen)
    assert subject_of(mail) == expected
    body = Mailbox.body(mail)
    assert "Hello Wang Xiaoming," in body and expected in body and "邀请" not in body

    # The same stored row reads in Chinese the moment its reader switches language.
    await db_set_locale(services, applicant.id, "zh_CN")
    chinese = await login(make_client, "applicant@example.com")
    assert f"青云智能体工作室 邀请你参加“{TITLE}”的面试。" in unescape(
        (await chinese.get("/notifications")).text
    )


async def db_set_locale(services: Any, user_id: Any, locale: str) -> None:
    await services.execute(update(User).where(User.id == user_id).values(locale=locale))
    await services.commit()


async def test_talent_notices_are_mailed_at_the_members_rhythm(
    make_client: Any, services: Any, db: Any, mailbox: Mailbox
) -> None:
    """A member who asked for a daily digest gets nothing at once, then one mail with every notice of the
    day at 09:00; nothing is mailed twice; a member who wants no email gets none."""
    owner, _applicant, position = await people(services, applicant_locale="zh_CN", owner_locale="zh_CN")
    seen = mailbox.seen()
    boss = await login(make_client, "owner@example.com")
    page = await boss.get("/notifications")
    assert 'name="rhythm"' in page.text and "即时发送" in page.text
    # A rhythm that does not exist is refused, on the page and in the API (400, problem details).
    refused = await boss.post(
        "/api/v1/notifications/mail",
        json={"rhythm": "hourly"},
        headers={"x-csrftoken": await boss.csrf_token()},
    )
    assert refused.status_code == 400 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    await boss.submit("/notifications/mail", {"rhythm": "daily"})
    assert (await boss.get("/api/v1/notifications/mail")).json() == {"rhythm": "daily"}

    candidate = await login(make_client, "applicant@example.com")
    assert (await apply(candidate, position.id, make_pdf())).status_code == 200
    application_id = db.fetchval("SELECT id FROM talent_application")
    await candidate.submit(f"/talent/applications/{application_id}/withdraw")
    # In the site at once; by mail not yet: one digest waits for 09:00 (Wuhan) tomorrow.
    assert db.fetchval("SELECT count(*) FROM notification WHERE recipient_id = $1", owner.id) == 2
    waiting = db.fetchval(
        "SELECT count(*) FROM job WHERE kind = 'notifications.mail' AND payload->>'user_id' = $1"
        " AND done_at IS NULL AND (run_at AT TIME ZONE 'Asia/Shanghai')::time = '09:00'",
        str(owner.id),
    )
    assert waiting == 1
    assert mailbox.take("owner@example.com", seen) is None

    # 09:00 comes: one mail with both notices.
    db.fetchval("UPDATE job SET run_at = now() WHERE kind = 'notifications.mail' AND done_at IS NULL")
    digest = await mailbox.take_waiting("owner@example.com", seen)
    assert subject_of(digest) == "2 条新通知"
    body = Mailbox.body(digest)
    assert f"申请了“{TITLE}”" in body and f"撤回了对“{TITLE}”的申请" in body
    assert db.fetchval("SELECT count(*) FROM notification WHERE mail_due") == 0

    # No email, in one click on the mail's link (no login needed; a forged link does nothing).
    link = next(line.split()[-1] for line in body.splitlines() if "/notifications/unsubscribe?token=" in line)
    stranger = await make_client()
    forged = await stranger.get(link.replace("http://testserver.local", "")[:-3] + "xyz")
    assert forged.status_code == 404
    done = await stranger.get(link.replace("http://testserver.local", ""))
    assert done.status_code == 200 and "退订" in done.text
    assert (await boss.get("/api/v1/notifications/mail")).json() == {"rhythm": "off"}
    other = await PositionService(services).create(owner, position.organization_id, POSITION, publish=True)
    await services.commit()
    assert (await apply(candidate, other.id, make_pdf())).status_code == 200
    assert db.fetchval("SELECT count(*) FROM notification WHERE recipient_id = $1", owner.id) == 3
    assert db.fetchval("SELECT count(*) FROM notification WHERE mail_due") == 0
    assert db.fetchval("SELECT count(*) FROM job WHERE kind = 'notifications.mail' AND done_at IS NULL") == 0
    assert mailbox.take("owner@example.com", seen) is None


async def test_a_background_reminder_reads_in_its_readers_language(
    make_client: Any, services: Any, db: Any, mailbox: Mailbox
) -> None:
    """Reminders are written by a background sweep, in no one's request: each reader still reads theirs in
    their own language (they used to be Chinese for everybody)."""
    _owner, _applicant, position = await people(services, applicant_locale="zh_CN", owner_locale="en")
    seen = mailbox.seen()
    candidate = await login(make_client, "applicant@example.com")
    applied = await apply(candidate, position.id, make_pdf())
    assert applied.status_code == 200, unescape(applied.text)[-3000:]
    db.fetchval("UPDATE talent_application SET respond_by = current_date + 1")
    assert await ApplicationService(services).send_reminders() == 1
    await services.commit()

    boss = await login(make_client, "owner@example.com")
    reminder = (await boss.get("/api/v1/notifications")).json()["items"][0]["subject"]
    assert reminder.startswith("Please answer ") and f"about “{TITLE}” by " in reminder, reminder
    assert reminder in unescape((await boss.get("/notifications")).text)
    # Two mails, in whichever order the worker sends them: the application (at once) and the reminder.
    mails = [await mailbox.take_waiting("owner@example.com", seen) for _ in range(2)]
    mail = next(m for m in mails if subject_of(m).startswith("Please answer "))
    assert subject_of(mail) == reminder and "Hello 张薇," in Mailbox.body(mail)
