"""Applying with a CV, over HTTP: oversized and not-PDF files refused with a clear message and the form kept;
the CV stored privately and readable only by the applicant and the position's organization; the closed loop
(every application answered, the applicant told, late answers shown to admins, reminded once, closing answers
whoever waits)."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.kernel.clock import SITE_TZ, today
from community.talent.services.applications import ApplicationService
from tests.conftest import outbox_drained
from tests.notifications.words import worded
from tests.stored import kept_file, kept_names
from tests.talent.conftest import World, apply, login, make_pdf

NOTE = "我做过三个政务知识库项目，熟悉 RAG <script>alert(1)</script> 🙂"


def _text(response: Any) -> str:
    return html.unescape(response.text)


async def test_a_50_mb_file_is_refused_with_a_clear_message_and_the_note_kept(
    world: World, make_client: Any, db: Any, settings: Any
) -> None:
    person = await login(make_client, "applicant@example.com")
    huge = b"%PDF-1.7\n" + b"0" * (50 * 1024 * 1024)
    response = await apply(person, world.position.id, huge, NOTE)
    assert response.status_code == 400
    page = _text(response)
    assert "简历超过 10 MB" in page  # the limit, in words, beside the CV field
    assert NOTE in page  # the cover note comes back as typed (escaped, never run)
    assert "<script>alert(1)</script>" not in response.text
    assert db.fetchval("SELECT count(*) FROM talent_application") == 0
    assert kept_names(db, "cvs") == []


async def test_a_file_that_is_not_a_pdf_is_refused_whatever_it_is_called(
    world: World, make_client: Any, db: Any
) -> None:
    person = await login(make_client, "applicant@example.com")
    fake = b"<html><script>alert('cv')</script></html>"
    response = await apply(person, world.position.id, fake, NOTE, name="cv.pdf", kind="application/pdf")
    assert response.status_code == 400
    page = _text(response)
    assert "“cv.pdf”不是 PDF" in page and NOTE in page
    # Starts like a PDF but is not one.
    broken = await apply(person, world.position.id, b"%PDF-1.4\nnot really a pdf", NOTE, name="broken.pdf")
    assert broken.status_code == 400 and "不是 PDF" in _text(broken)
    empty = await apply(person, world.position.id, b"", NOTE)
    assert empty.status_code == 400 and "请选择你的简历" in _text(empty)
    assert db.fetchval("SELECT count(*) FROM talent_application") == 0


async def test_the_cv_is_for_the_applicant_and_the_organization_only(
    world: World, make_client: Any, db: Any, settings: Any
) -> None:
    pdf = make_pdf()
    applicant = await login(make_client, "applicant@example.com")
    sent = await apply(applicant, world.position.id, pdf)
    assert sent.status_code == 200, sent.text
    application_id = db.fetchval("SELECT id FROM talent_application")
    stored = db.fetchval("SELECT cv_path FROM talent_application")
    # Kept in the shared store (not among the static files), under a random name, not the uploaded one.
    assert kept_file(db, "cvs", stored) == pdf
    assert "简历" not in stored
    url = f"/talent/applications/{application_id}/cv"
    mine = await applicant.get(url)
    assert mine.status_code == 200 and mine.content == pdf
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.headers["content-disposition"].startswith("attachment")
    assert mine.headers["x-content-type-options"] == "nosniff"
    owner = await login(make_client, "owner@example.com")
    assert (await owner.get(url)).content == pdf
    for email in ("outsider@example.com", "admin@example.com"):
        other = await login(make_client, email)
        assert (await other.get(url)).status_code == 404
    anonymous = await make_client()
    assert (await anonymous.get(url, follow_redirects=False)).status_code == 404


async def test_the_organization_answers_and_the_applicant_is_told(
    world: World, make_client: Any, db: Any, settings: Any
) -> None:
    applicant = await login(make_client, "applicant@example.com")
    # Three clicks at once: one application, one stored CV; the others are told it exists.
    sent = await asyncio.gather(*(apply(applicant, world.position.id, make_pdf()) for _ in range(3)))
    assert sorted(r.status_code for r in sent) == [200, 400, 400]
    assert len(kept_names(db, "cvs")) == 1
    application_id = db.fetchval("SELECT id FROM talent_application")
    assert (
        db.fetchval(
            "SELECT count(*) FROM notification WHERE recipient_id = $1 AND kind = 'talent.application'",
            world.owner.id,
        )
        == 1
    )
    # A second application to the same position is refused, even from two tabs at once.
    again = await asyncio.gather(*(apply(applicant, world.position.id, make_pdf()) for _ in range(3)))
    assert all(r.status_code == 400 for r in again)
    assert db.fetchval("SELECT count(*) FROM talent_application") == 1

    owner = await login(make_client, "owner@example.com")
    page = await owner.get(f"/talent/positions/{world.position.id}")
    assert "王小明" in page.text and "大模型应用工程师" in page.text  # the profile as sent
    assert 'href="https://github.com/example" rel="nofollow ugc noopener"' in page.text
    declined = await owner.submit(f"/talent/applications/{application_id}/decline", {"note": ""})
    assert "请写明原因" in _text(declined)
    assert db.fetchval("SELECT status FROM talent_application") == "pending"
    await owner.submit(
        f"/talent/applications/{application_id}/interview", {"note": "周三下午两点，光谷软件园。"}
    )
    assert db.fetchval("SELECT status FROM talent_application") == "interview"
    told = worded(db, "recipient_id = $1 AND kind = 'talent.application_interview'", world.applicant.id) or ""
    assert "面试" in told
    # The applicant sees the answer and its history on the position page.
    mine = _text(await applicant.get(f"/talent/positions/{world.position.id}"))
    assert "周三下午两点，光谷软件园。" in mine and "邀请面试" in mine
    # An outsider cannot answer it.
    outsider = await login(make_client, "outsider@example.com")
    refused = await outsider.submit(f"/talent/applications/{application_id}/offer", {"note": ""})
    assert refused.status_code == 404
    await owner.submit(f"/talent/applications/{application_id}/offer", {"note": "欢迎加入！"})
    assert db.fetchval("SELECT status FROM talent_application") == "offer"
    assert db.fetchval("SELECT count(*) FROM talent_application_event") == 3


async def test_late_answers_show_to_admins_and_the_organization_is_reminded_once(
    world: World, make_client: Any, db: Any, settings: Any
) -> None:
    applicant = await login(make_client, "applicant@example.com")
    await apply(applicant, world.position.id, make_pdf())
    assert db.fetchval("SELECT respond_by FROM talent_application") == today() + timedelta(days=14)
    # The reminder sweep is queued for 09:00 (Wuhan) two days before the answer falls due.
    run_at = db.fetchval("SELECT run_at FROM job WHERE kind = 'talent.reminders'")
    assert (
        run_at.astimezone(SITE_TZ).date() == today() + timedelta(days=12)
        and run_at.astimezone(SITE_TZ).hour == 9
    )
    db.fetchval("UPDATE talent_application SET respond_by = $1", today() - timedelta(days=3))
    admin = await login(make_client, "admin@example.com")
    page = _text(await admin.get("/admin/talent"))
    assert "王小明" in page and "逾期 3 天" in page
    # Two processes send reminders at once: the owner is reminded once.
    engines = [create_async_engine(settings.database_url) for _ in range(2)]

    async def remind(engine: Any) -> int:
        async with AsyncSession(engine) as session:
            sent = await ApplicationService(session).send_reminders()
            await session.commit()
            return sent

    try:
        counts = await asyncio.gather(*(remind(engine) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(counts) == [0, 1]
    assert (
        db.fetchval(
            "SELECT count(*) FROM notification"
            " WHERE recipient_id = $1 AND kind = 'talent.application_reminder'",
            world.owner.id,
        )
        == 1
    )
    # Answering takes it off the admins' list.
    owner = await login(make_client, "owner@example.com")
    application_id = db.fetchval("SELECT id FROM talent_application")
    await owner.submit(f"/talent/applications/{application_id}/shortlist", {"note": ""})
    assert (
        "王小明"
        not in _text(await admin.get("/admin/talent")).split('id="overdue"')[1].split("</section>")[0]
    )


async def test_closing_the_position_answers_every_waiting_application(
    world: World, make_client: Any, db: Any
) -> None:
    applicant = await login(make_client, "applicant@example.com")
    await apply(applicant, world.position.id, make_pdf())
    await outbox_drained(db)  # the open position is in the search index...
    assert (
        db.fetchval("SELECT title FROM search_document WHERE doc_type = 'position'") == "大模型应用开发工程师"
    )
    owner = await login(make_client, "owner@example.com")
    no_reason = await owner.submit(f"/talent/positions/{world.position.id}/close", {"reason": " "})
    assert "请写明原因" in _text(no_reason)
    assert db.fetchval("SELECT status FROM talent_position") == "open"
    await owner.submit(f"/talent/positions/{world.position.id}/close", {"reason": "岗位已招满，谢谢关注。"})
    assert db.fetchval("SELECT status FROM talent_position") == "closed"
    assert db.fetchval("SELECT status FROM talent_application") == "closed"
    assert db.fetchval("SELECT response_note FROM talent_application") == "岗位已招满，谢谢关注。"
    subject = worded(db, "recipient_id = $1 AND kind = 'talent.application_closed'", world.applicant.id) or ""
    assert "岗位已招满" in subject
    # Closed: no more applications, and the search index forgets it.
    late = await login(make_client, "outsider@example.com")
    assert "不再接受申请" in _text(await apply(late, world.position.id, make_pdf()))
    await outbox_drained(db)
    assert db.fetchval("SELECT count(*) FROM search_document WHERE doc_type = 'position'") == 0


async def test_applying_needs_a_talent_profile_and_is_not_for_the_organizations_own_members(
    world: World, make_client: Any, db: Any
) -> None:
    outsider = await login(make_client, "outsider@example.com")
    response = await apply(outsider, world.position.id, make_pdf(), NOTE)
    assert response.status_code == 400 and "请先填写人才名片" in _text(response) and NOTE in _text(response)
    owner = await login(make_client, "owner@example.com")
    assert 'id="apply"' not in (await owner.get(f"/talent/positions/{world.position.id}")).text
    own = await apply(owner, world.position.id, make_pdf())
    assert own.status_code == 400
    assert db.fetchval("SELECT count(*) FROM talent_application") == 0


async def test_applications_are_rate_limited_per_account(world: World, make_client: Any) -> None:
    person = await login(make_client, "applicant@example.com")
    answers = [(await apply(person, world.position.id, b"not a pdf")).status_code for _ in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    other = await login(make_client, "outsider@example.com")  # another account is not held back
    assert (await apply(other, world.position.id, b"not a pdf")).status_code == 400
