"""Questions routed to those who can answer them.

A question nobody but its asker has answered (no accepted answer, no visible answer from anyone else) for
``question_routing_after_hours`` is offered to at most ``question_routing_top`` members whose OPC's verified
capability profile or whose past accepted answers fit it, ranked by matching's hybrid ranker and explained
with its explanations ("your profile mentions RAG、知识库").

The promises, and what holds each:

- one question is offered to one member once, and a member is offered at most one question a day: unique
  rows of ``forum_question_offer`` (the insert skips what either would break);
- the weekly cap is matching's ``MATCHING_WEEKLY_CAP``, shared with scenario pushes and counted per member:
  a member who already heard of that many things this week (pushes to their OPCs plus offered questions)
  is offered nothing more. Both spend the same attention, so one cap bounds them together; scenario pushes
  (the site's signature) are counted first and never held back by questions;
- never the asker, never someone who cannot see the question (only visible questions are routed, and each
  member is checked with the forum's own ``sees``), never a member who turned it off (their matching
  settings);
- a ``Periodic`` job runs it, so one worker does each run however many processes run.

It lives in matching, not in the forum: matching reads the zones it matches (here the forum's questions,
answers and visibility rules), and no zone imports matching.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from community.accounts.models import Membership, User
from community.forum.documents import topic_url
from community.forum.models import Post, QuestionOffer, Tag, Topic, TopicKind, TopicTag, Visibility
from community.forum.services.trust import TrustService
from community.i18n import _
from community.jobs import JobContext, Periodic
from community.kernel.clock import SITE_TZ
from community.matching import notices
from community.matching.models import Push, Subscription
from community.matching.ranker import Doc, Explanation, Index, Scored
from community.matching.services.common import week_start
from community.matching.services.matching import MatchingService
from community.matching.services.push import PushService
from community.matching.views import reasons
from community.notifications.services import NotificationService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.matching.embedder import Embedder

logger = logging.getLogger(__name__)
JOB_ROUTING = "matching.question_routing"
QUESTIONS_PER_RUN = 50
MAX_AGE = timedelta(days=14)  # an older question is not pushed on anyone any more
ANSWERS_PER_MEMBER = 20  # the most recent accepted answers that describe a member
ANSWER_CHARS = 2000
SOURCE_PROFILE = "profile"
SOURCE_ANSWERS = "answers"


@dataclass
class Candidate:
    user_id: UUID
    score: float
    source: str
    explanation: Explanation


@dataclass(frozen=True)
class OfferToMail:
    title: str
    url: str
    why: str
    offered_at: datetime


async def offers_to_mail(db: AsyncSession, user_id: UUID, since: datetime) -> list[OfferToMail]:
    """Questions offered to the member since their last recommendation mail, still visible, with why (in
    the current language)."""
    rows = await db.execute(
        select(QuestionOffer, Topic)
        .join(Topic, Topic.id == QuestionOffer.topic_id)
        .where(
            QuestionOffer.user_id == user_id,
            QuestionOffer.created_at > since,
            Topic.visibility == Visibility.VISIBLE,
        )
        .order_by(QuestionOffer.created_at)
    )
    return [
        OfferToMail(
            title=topic.title,
            url=topic_url(topic.id, topic.slug),
            why=why(offer.source, offer.explanation),
            offered_at=offer.created_at,
        )
        for offer, topic in rows
    ]


@dataclass
class RoutingReport:
    questions: int = 0
    offers: list[tuple[int, UUID]] = field(default_factory=list)


def site_today(moment: datetime | None = None) -> date:
    return (moment or datetime.now(UTC)).astimezone(SITE_TZ).date()


def why(source: str, explanation: Explanation | dict[str, Any]) -> str:
    """Why this member, in the current language: what their profile or answers share with the question."""
    if isinstance(explanation, dict):
        explanation = Explanation.from_dict(explanation)
    sep = _("、")
    mentioned = list(dict.fromkeys([*explanation.capabilities, *explanation.terms]))[:5]
    if mentioned and source == SOURCE_PROFILE:
        return _("your OPC's profile mentions %(terms)s", terms=sep.join(mentioned))
    if mentioned:
        return _("your accepted answers mention %(terms)s", terms=sep.join(mentioned))
    return "；".join(reasons(explanation))


class QuestionRouting:
    def __init__(self, db: AsyncSession, settings: Settings, embedder: Embedder | None) -> None:
        self.db = db
        self.settings = settings
        self.matching = MatchingService(db, settings, embedder)
        self.trust = TrustService(db)
        self.notifications = NotificationService(db)

    async def unanswered(self, moment: datetime) -> list[Topic]:
        """Visible questions older than the threshold (and younger than ``MAX_AGE``) with no accepted answer
        and no visible answer from anyone but the asker, not yet offered to as many members as they may be."""
        answered_by_other = (
            select(Post.id)
            .where(
                Post.topic_id == Topic.id,
                Post.number > 1,
                Post.visibility == Visibility.VISIBLE,
                Post.author_id != Topic.author_id,
            )
            .exists()
        )
        offers = (
            select(func.count()).select_from(QuestionOffer).where(QuestionOffer.topic_id == Topic.id)
        ).scalar_subquery()
        cutoff = moment - timedelta(hours=self.settings.question_routing_after_hours)
        rows = await self.db.scalars(
            select(Topic)
            .where(
                Topic.kind == TopicKind.QUESTION,
                Topic.visibility == Visibility.VISIBLE,
                Topic.accepted_post_id.is_(None),
                Topic.created_at <= cutoff,
                Topic.created_at > moment - MAX_AGE,
                ~answered_by_other,
                offers < self.settings.question_routing_top,
            )
            .order_by(Topic.created_at)
            .limit(QUESTIONS_PER_RUN)
        )
        return list(rows)

    async def question_doc(self, topic: Topic) -> Doc:
        opening = await self.db.scalar(
            select(Post.body_md).where(
                Post.topic_id == topic.id, Post.number == 1, Post.visibility == Visibility.VISIBLE
            )
        )
        tags = await self.db.scalars(
            select(Tag.name).join(TopicTag, TopicTag.tag_id == Tag.id).where(TopicTag.topic_id == topic.id)
        )
        return Doc(id=str(topic.id), title=topic.title, text=f"{opening or ''}\n{' '.join(tags)}")

    async def answers_index(self) -> Index:
        """One document per member with accepted answers: their latest accepted answers (question titles,
        tags and answer text), ranked by the same ranker (words and terms; answers have no vectors)."""
        numbered = (
            select(
                Post.author_id.label("author_id"),
                Topic.id.label("topic_id"),
                Topic.title.label("title"),
                Post.body_md.label("body"),
                func.row_number()
                .over(partition_by=Post.author_id, order_by=Post.created_at.desc())
                .label("n"),
            )
            .join(Topic, Topic.accepted_post_id == Post.id)
            .where(Topic.visibility == Visibility.VISIBLE, Post.visibility == Visibility.VISIBLE)
            .subquery()
        )
        rows = await self.db.execute(
            select(numbered.c.author_id, numbered.c.topic_id, numbered.c.title, numbered.c.body).where(
                numbered.c.n <= ANSWERS_PER_MEMBER
            )
        )
        texts: dict[UUID, list[str]] = {}
        topic_ids: set[int] = set()
        by_topic: dict[int, list[UUID]] = {}
        for author_id, topic_id, title, body in rows:
            texts.setdefault(author_id, []).append(f"{title}\n{body[:ANSWER_CHARS]}")
            topic_ids.add(topic_id)
            by_topic.setdefault(topic_id, []).append(author_id)
        if topic_ids:
            tag_rows = await self.db.execute(
                select(TopicTag.topic_id, Tag.name)
                .join(Tag, Tag.id == TopicTag.tag_id)
                .where(TopicTag.topic_id.in_(topic_ids))
            )
            for topic_id, name in tag_rows:
                for author_id in by_topic.get(topic_id, []):
                    texts[author_id].append(name)
        docs = [Doc(id=str(user_id), title="", text="\n".join(parts)) for user_id, parts in texts.items()]
        return Index(docs)

    def _fits(self, scored: Scored) -> bool:
        """Above the threshold and with something to say why (a shared capability or key term)."""
        explanation = scored.explanation
        return scored.score >= self.settings.question_routing_threshold and bool(
            explanation.capabilities or explanation.terms
        )

    async def candidates(self, topic: Topic, answers: Index) -> list[Candidate]:
        """Members whose OPC's profile or accepted answers fit the question, best first, each once."""
        query = await self.question_doc(topic)
        limit = self.settings.question_routing_top * 5
        found: dict[UUID, Candidate] = {}
        for scored, card in await self.matching.rank_profiles(query, limit, kept=False, fresh=True):
            if not self._fits(scored):
                continue
            for user_id in await self.matching.organizations.member_ids(card.organization_id):
                if user_id not in found or found[user_id].score < scored.score:
                    found[user_id] = Candidate(user_id, scored.score, SOURCE_PROFILE, scored.explanation)
        if len(answers):
            weights = self.matching.weights
            for scored in answers.rank(query, None, weights=weights, limit=limit):
                user_id = UUID(scored.doc.id)
                if not self._fits(scored):
                    continue
                if user_id not in found or found[user_id].score < scored.score:
                    found[user_id] = Candidate(user_id, scored.score, SOURCE_ANSWERS, scored.explanation)
        return sorted(found.values(), key=lambda c: -c.score)

    async def heard_this_week(self, user_id: UUID, moment: datetime) -> int:
        """Scenario pushes to the member's OPCs and questions offered to them this week (from Monday)."""
        week = week_start(moment)
        pushes = await self.db.scalar(
            select(func.count())
            .select_from(Push)
            .where(
                Push.week_start == week,
                Push.organization_id.in_(
                    select(Membership.organization_id).where(Membership.user_id == user_id)
                ),
            )
        )
        offers = await self.db.scalar(
            select(func.count())
            .select_from(QuestionOffer)
            .where(QuestionOffer.user_id == user_id, QuestionOffer.offered_on >= week)
        )
        return int(pushes or 0) + int(offers or 0)

    async def may_offer(self, topic: Topic, user: User | None, moment: datetime) -> bool:
        if user is None or not user.is_active or user.id == topic.author_id:
            return False
        if not await self.trust.sees(user, topic):
            return False
        turned_off = await self.db.scalar(
            select(Subscription.questions.is_(False)).where(Subscription.user_id == user.id)
        )
        if turned_off:
            return False
        return await self.heard_this_week(user.id, moment) < self.settings.matching_weekly_cap

    async def offer(self, topic: Topic, user: User, candidate: Candidate, today: date) -> bool:
        """Keep the offer and tell the member; False when the database says they already had this question
        or a question today."""
        offered = await self.db.scalar(
            insert(QuestionOffer)
            .values(
                topic_id=topic.id,
                user_id=user.id,
                offered_on=today,
                source=candidate.source,
                score=round(candidate.score, 4),
                explanation=candidate.explanation.as_dict(),
            )
            .on_conflict_do_nothing()
            .returning(QuestionOffer.id)
        )
        if offered is None:
            return False
        await self.notifications.notify(
            user.id,
            notices.QUESTION_OFFERED,
            topic_url(topic.id, topic.slug),
            {
                "title": topic.title,
                "source": candidate.source,
                "explanation": candidate.explanation.as_dict(),
            },
        )
        # And by email in the member's recommendation rhythm (none when they turned mail off).
        await PushService(self.db, self.settings, None).schedule_mail(user.id, f"question-{offered}")
        return True

    async def route(self, moment: datetime | None = None) -> RoutingReport:
        """One run: each waiting question offered to the best members who may still be offered something."""
        moment = moment or datetime.now(UTC)
        today = site_today(moment)
        report = RoutingReport()
        questions = await self.unanswered(moment)
        if not questions:
            return report
        answers = await self.answers_index()
        for topic in questions:
            report.questions += 1
            already = set(
                await self.db.scalars(select(QuestionOffer.user_id).where(QuestionOffer.topic_id == topic.id))
            )
            room = self.settings.question_routing_top - len(already)
            for candidate in await self.candidates(topic, answers):
                if room <= 0:
                    break
                if candidate.user_id in already:
                    continue
                user = await self.db.get(User, candidate.user_id)
                if not await self.may_offer(topic, user, moment):
                    continue
                assert user is not None
                if await self.offer(topic, user, candidate, today):
                    report.offers.append((topic.id, user.id))
                    room -= 1
        return report


async def routing_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Periodic, from whichever worker claims it: offer the questions that wait for an answer."""
    routing = QuestionRouting(ctx.db, ctx.resources["settings"], ctx.resources.get("embedder"))
    report = await routing.route()
    if report.offers:
        logger.info("questions offered: %s", len(report.offers))


def _every(resources: Any) -> float:
    return float(resources["settings"].question_routing_every_seconds)


QUESTION_ROUTING = Periodic(JOB_ROUTING, routing_job, every=_every, first_after=120.0)
