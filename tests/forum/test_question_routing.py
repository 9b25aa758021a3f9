"""Unanswered questions are offered to the members who can answer them: those whose OPC's verified profile or
whose accepted answers fit, with the reasons, never to the asker, a member who cannot see the question or one
who turned it off; at most one question a day and within the weekly cap; never the same question twice."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from community.accounts.models import User
from community.config import Settings
from community.forum.models import QuestionOffer
from community.jobs import JobContext
from community.kernel.clock import SITE_TZ
from community.matching import zone as matching_zone
from community.matching.questions import JOB_ROUTING, QuestionRouting, routing_job
from community.matching.services.common import week_start
from tests.conftest import Mailbox
from tests.forum.conftest import ask, open_levels, topic_id
from tests.matching.conftest import demo_password, load_world, login

RAG_BODY = "我们想给 12345 政务热线做一个知识库问答，用 RAG 检索工单和政策文件，知识库该怎么切分和更新？"
OTHER_BODY = "政务热线的知识库问答上线后，RAG 检索召回的工单总是过时，怎么让知识库增量更新？"
THIRD_BODY = "RAG 知识库问答里，政务热线的工单摘要该怎么评估准确率？"
FIT = "zhang.wei@example.com"  # qingyun-agent: 知识库问答智能体（RAG）
UNFIT = ("li.ming@example.com", "chen.hao@example.com")  # visual inspection; coding assistants


async def route(settings: Settings, moment: datetime) -> list[tuple[int, Any]]:
    """One run of the periodic work, in a transaction of its own as the worker runs it (no language model
    here: the ranker's words, terms and domains)."""
    engine = create_async_engine(settings.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            report = await QuestionRouting(db, settings, None).route(moment)
            await db.commit()
            return report.offers
    finally:
        await engine.dispose()


async def answered_and_accepted(asker: Any, answerer: Any, title: str, answer: str) -> None:
    asked = await ask(asker, title, body=RAG_BODY, tags="rag")
    tid = topic_id(asked)
    replied = await answerer.submit(f"/forum/t/{tid}/reply", {"body": answer})
    post_id = int(re.search(r"#p(\d+)", str(replied.url)).group(1))  # type: ignore[union-attr]
    assert (await asker.submit(f"/forum/p/{post_id}/accept")).status_code == 200


def mails_with(mailbox: Mailbox, to: str, text: str) -> list[str]:
    return [Mailbox.body(m) for m in list(mailbox.messages) if to in str(m["To"]) and text in Mailbox.body(m)]


async def offers_to(services: Any, email: str) -> list[int]:
    rows = await services.scalars(
        select(QuestionOffer.topic_id)
        .join(User, User.id == QuestionOffer.user_id)
        .where(User.email == email)
        .order_by(QuestionOffer.id)
    )
    return list(rows)


async def test_unanswered_questions_go_to_those_who_can_answer(
    member: Any, make_client: Any, services: Any, settings: Settings, db: Any, mailbox: Mailbox
) -> None:
    settings = replace(
        settings, matching_weekly_cap=2, question_routing_after_hours=4, question_routing_top=3
    )
    assert JOB_ROUTING in {p.kind for p in matching_zone().periodic}  # periodic work: one worker per run
    await open_levels(services, 2)
    await load_world(services, settings)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    carol = await member("carol@example.com", "Carol")
    # Bob and Carol have accepted answers about RAG knowledge bases; Carol turns the offers off.
    await answered_and_accepted(
        alice, bob, "RAG 知识库如何切分文档？", "知识库文档按段落切分，RAG 检索时带上标题。"
    )
    await answered_and_accepted(
        alice, carol, "知识库问答的 RAG 召回率低", "RAG 召回低时给知识库加关键词检索。"
    )
    page = await carol.get("/matching/for-you")
    assert 'name="questions" value="yes" checked' in page.text
    await carol.submit("/matching/questions", {})  # the box unticked
    page = await carol.get("/matching/for-you")
    assert 'name="questions" value="yes" checked' not in page.text

    q1 = topic_id(await ask(bob, "政务热线知识库问答怎么用 RAG 做？", body=RAG_BODY, tags="rag"))
    q2 = topic_id(await ask(alice, "知识库增量更新与 RAG 召回", body=OTHER_BODY, tags="rag"))
    q3 = topic_id(await ask(alice, "RAG 工单摘要如何评估", body=THIRD_BODY, tags="rag"))
    hidden = topic_id(await ask(alice, "热线知识库 RAG 方案求助", body=RAG_BODY, tags="rag"))
    db.fetchval("UPDATE forum_topic SET visibility = 'hidden' WHERE id = $1", hidden)

    # Fresh questions wait: nothing is offered before the threshold.
    assert await route(settings, datetime.now(UTC)) == []
    # Next Monday at 10:00 (site time), Tuesday and Wednesday: one week.
    monday = datetime.combine(week_start() + timedelta(days=7), time(10), tzinfo=SITE_TZ)

    offered = await route(settings, monday)
    assert offered
    assert await offers_to(services, FIT) == [q1]  # one question a day: q1, not q2 or q3 as well
    for email in UNFIT:
        assert await offers_to(services, email) == []
    assert q1 not in await offers_to(services, "bob@example.com")  # never to the asker
    assert await offers_to(services, "carol@example.com") == []  # turned off
    assert hidden not in {topic for topic, _user in offered}  # nobody but its author sees it
    bobs = await offers_to(services, "bob@example.com")  # he fits by his accepted answers: one a day
    assert len(bobs) == 1 and bobs[0] in {q2, q3}

    # The notice says why this member, and leads to the question.
    zhang = await login(make_client, FIT, demo_password(settings))
    inbox = (await zhang.get("/notifications")).text
    assert "政务热线知识库问答怎么用 RAG 做？" in inbox
    notice = inbox.split("政务热线知识库问答怎么用 RAG 做？", 1)[1][:400]
    assert re.search(r"你所在 OPC 的能力画像提到了[^<]*(RAG|知识库)", notice), notice
    # And by email, in the member's rhythm (immediate here), with the same reason.
    deadline = asyncio.get_running_loop().time() + 30
    while not (mails := mails_with(mailbox, FIT, "政务热线知识库问答怎么用 RAG 做？")):
        assert asyncio.get_running_loop().time() < deadline, "no mail offered the question"
        await asyncio.sleep(0.2)
    assert "你所在 OPC 的能力画像提到了" in mails[0]
    notices = db.fetchval("SELECT count(*) FROM notification WHERE kind = 'forum.question_offered'")

    # The job runs again (another worker, the next period): nothing is offered twice.
    assert await route(settings, monday) == []
    assert await route(settings, monday + timedelta(minutes=30)) == []
    assert db.fetchval("SELECT count(*) FROM notification WHERE kind = 'forum.question_offered'") == notices

    # The next day, the next question; the day after, the weekly cap (2) holds for Zhang Wei.
    await route(settings, monday + timedelta(days=1))
    week = await offers_to(services, FIT)
    assert len(week) == 2 and week[0] == q1 and week[1] in {q2, q3}
    waiting = ({q2, q3} - {week[1]}).pop()  # fits Zhang Wei too, and waits for an answer
    await route(settings, monday + timedelta(days=2))
    assert await offers_to(services, FIT) == week  # the weekly cap (2) holds
    room = await services.scalar(
        select(func.count()).select_from(QuestionOffer).where(QuestionOffer.topic_id == waiting)
    )
    assert room < settings.question_routing_top  # it was not for want of room on the question
    assert await offers_to(services, "carol@example.com") == []
    assert hidden not in {t for (t,) in (await services.execute(select(QuestionOffer.topic_id))).all()}
    # The database holds one row per question and member.
    count = await services.scalar(select(func.count()).select_from(QuestionOffer))
    distinct = await services.scalar(
        select(func.count()).select_from(
            select(QuestionOffer.topic_id, QuestionOffer.user_id).distinct().subquery()
        )
    )
    assert count == distinct


async def run_job(settings: Settings) -> None:
    """The periodic job's handler, in a transaction of its own as a worker runs it."""
    engine = create_async_engine(settings.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            await routing_job(
                JobContext(db=db, job_id=uuid4(), attempt=1, resources={"settings": settings}), {}
            )
            await db.commit()
    finally:
        await engine.dispose()


async def test_the_periodic_job_twice_offers_nothing_twice(
    member: Any, services: Any, settings: Settings, db: Any
) -> None:
    await open_levels(services, 2)
    await load_world(services, settings)
    alice = await member("alice@example.com", "Alice")
    bob = await member("bob@example.com", "Bob")
    await answered_and_accepted(
        alice, bob, "RAG 知识库如何切分文档？", "知识库文档按段落切分，RAG 检索时带上标题。"
    )
    waiting = topic_id(await ask(alice, "政务热线知识库问答怎么用 RAG 做？", body=RAG_BODY, tags="rag"))
    await run_job(settings)
    assert await services.scalar(select(func.count()).select_from(QuestionOffer)) == 0  # too fresh
    db.fetchval("UPDATE forum_topic SET created_at = now() - interval '5 hours' WHERE id = $1", waiting)
    await run_job(settings)
    offered = set((await services.execute(select(QuestionOffer.topic_id, QuestionOffer.user_id))).all())
    assert offered and {topic for topic, _user in offered} == {waiting}
    await run_job(settings)
    again = set((await services.execute(select(QuestionOffer.topic_id, QuestionOffer.user_id))).all())
    assert again == offered
    notices = db.fetchval("SELECT count(*) FROM notification WHERE kind = 'forum.question_offered'")
    assert notices == len(offered)
