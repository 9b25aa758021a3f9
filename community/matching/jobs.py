"""Matching's background jobs: keep vectors current, push a newly published scenario, mail recommendations.

The scenario zone enqueues ``matching.scenario_published`` and ``matching.embed`` by name (it never imports
matching); the matching zone declares the handlers (``JOBS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from community.jobs import Handler, JobContext, Periodic, enqueue
from community.matching.embedder import Embedder
from community.matching.policies import JOB as JOB_POLICY_PUBLISHED
from community.matching.policies import JOB_FACTS_CHANGED, policy_facts_changed_job, policy_published_job
from community.matching.services import JOB_EMAIL, JOB_EMBED, JOB_PUBLISHED, MatchingService, PushService
from community.matching.services.common import JOB_CATCH_UP, JOB_VECTORS_CURRENT
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


async def vectors_current_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Compute a batch of missing vectors of the configured model; while a full batch was needed, there may
    be more: the next batch is queued at once (so a model change re-embeds everything, a batch per job, and
    no job holds its claim for long)."""
    settings = ctx.resources["settings"]
    batch = settings.matching_reembed_batch
    done = await _service(ctx).catch_up(batch)
    if done < batch:
        matcher = TalentMatcher(ctx.db, settings, ctx.resources.get("embedder"))
        done += await matcher.catch_up(batch - done)
    if done >= batch:
        await enqueue(ctx.db, JOB_CATCH_UP, {}, dedupe_key=JOB_CATCH_UP)


def _reembed_every(resources: Mapping[str, Any]) -> float:
    return float(resources["settings"].matching_reembed_seconds)


VECTORS_CURRENT = Periodic(JOB_VECTORS_CURRENT, vectors_current_job, every=_reembed_every, first_after=30.0)

JOBS: dict[str, Handler] = {
    JOB_CATCH_UP: vectors_current_job,
    TALENT_JOB_EMBED: talent_embed_job,
    JOB_EMBED: embed_job,
    JOB_PUBLISHED: scenario_published_job,
    JOB_EMAIL: email_job,
    JOB_POLICY_PUBLISHED: policy_published_job,
    JOB_FACTS_CHANGED: policy_facts_changed_job,
}
