"""Matching's background jobs: keep vectors current, push a newly published scenario, mail recommendations.

The scenario zone enqueues ``matching.scenario_published`` and ``matching.embed`` by name (it never imports
matching); the matching zone declares the handlers (``JOBS``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.jobs import Handler, JobContext
from community.matching.embedder import Embedder
from community.matching.policies import JOB as JOB_POLICY_PUBLISHED
from community.matching.policies import JOB_FACTS_CHANGED, policy_facts_changed_job, policy_published_job
from community.matching.services import JOB_EMAIL, JOB_EMBED, JOB_PUBLISHED, MatchingService, PushService
from community.matching.services.mail import RecommendationMail
from community.matching.talent import TalentMatcher
from community.talent.services.common import JOB_EMBED as TALENT_JOB_EMBED


def _service(ctx: JobContext) -> MatchingService:
    embedder: Embedder | None = ctx.resources.get("embedder")
    return MatchingService(ctx.db, ctx.resources["settings"], embedder)


async def embed_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).embed_owner(str(payload["owner_type"]), UUID(str(payload["owner_id"])))


async def scenario_published_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    push = PushService(ctx.db, ctx.resources["settings"], ctx.resources.get("embedder"))
    await push.push_scenario(UUID(str(payload["scenario_id"])))


async def email_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    mail = RecommendationMail(ctx.db, ctx.resources["settings"], ctx.resources["mailer"])
    await mail.send(UUID(str(payload["user_id"])))


async def talent_embed_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    matcher = TalentMatcher(ctx.db, ctx.resources["settings"], ctx.resources.get("embedder"))
    await matcher.embed(str(payload["owner_type"]), UUID(str(payload["owner_id"])))


JOBS: dict[str, Handler] = {
    TALENT_JOB_EMBED: talent_embed_job,
    JOB_EMBED: embed_job,
    JOB_PUBLISHED: scenario_published_job,
    JOB_EMAIL: email_job,
    JOB_POLICY_PUBLISHED: policy_published_job,
    JOB_FACTS_CHANGED: policy_facts_changed_job,
}
