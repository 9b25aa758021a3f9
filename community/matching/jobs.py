"""Matching's background jobs: keep vectors current, push a newly published scenario, mail recommendations.

The scenario zone enqueues ``matching.scenario_published`` and ``matching.embed`` by name (it never imports
matching); the matching zone declares the handlers (``JOBS``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community import i18n
from community.jobs import Handler, JobContext
from community.matching.embedder import Embedder
from community.matching.policies import JOB as JOB_POLICY_PUBLISHED
from community.matching.policies import (
    JOB_FACTS_CHANGED,
    deliveries_to_mail,
    policy_facts_changed_job,
    policy_published_job,
)
from community.matching.services import JOB_EMAIL, JOB_EMBED, JOB_PUBLISHED, MatchingService, reasons
from community.matching.tokens import unsubscribe_token


def _service(ctx: JobContext) -> MatchingService:
    embedder: Embedder | None = ctx.resources.get("embedder")
    return MatchingService(ctx.db, ctx.resources["settings"], embedder)


async def embed_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).embed_owner(str(payload["owner_type"]), UUID(str(payload["owner_id"])))


async def scenario_published_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).push_scenario(UUID(str(payload["scenario_id"])))


async def email_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One mail with every push the member has not been mailed yet (one push when immediate, a digest when
    daily or weekly); nothing when they unsubscribed."""
    service = _service(ctx)
    settings = ctx.resources["settings"]
    user_id = UUID(str(payload["user_id"]))
    subscription = await service.subscription(user_id)
    if subscription.rhythm == "off" or subscription.unsubscribed_at is not None:
        return
    items = await service.pushes_to_mail(user_id)
    policy_items = await deliveries_to_mail(ctx.db, service, user_id)
    if not items and not policy_items:
        return
    user = await service._user(user_id)
    previous = i18n.current_locale()
    i18n.set_locale(user.locale or settings.default_locale)
    try:
        base = settings.base_url.rstrip("/")
        token = unsubscribe_token(settings.secret_key, user.id)
        subjects = []
        if items:
            subjects.append(
                i18n.ngettext(
                    "%(num)s scenario recommended for you",
                    "%(num)s scenarios recommended for you",
                    len(items),
                )
                % {"num": len(items)}
            )
        if policy_items:
            subjects.append(
                i18n.ngettext(
                    "%(num)s policy you qualify for", "%(num)s policies you qualify for", len(policy_items)
                )
                % {"num": len(policy_items)}
            )
        subject = i18n.gettext("; ").join(subjects)
        await ctx.resources["mailer"].send_template(
            user.email,
            subject,
            "matching/email/digest.txt",
            items=[
                {"title": card.title, "url": base + card.url, "reasons": reasons(push.explanation)}
                for push, card in items
            ],
            policies=[
                {
                    "title": card.title,
                    "url": base + card.url,
                    "benefits": [b.description for b in card.benefits],
                }
                for _delivery, card in policy_items
            ],
            name=user.display_name,
            for_you_url=f"{base}/matching/for-you",
            unsubscribe_url=f"{base}/matching/unsubscribe?token={token}",
        )
    finally:
        i18n.set_locale(previous)
    # The newest push mailed, not the clock: a push made while this mail was written goes in the next one.
    await service.mark_mailed(
        user_id,
        max(
            [push.created_at for push, _card in items]
            + [delivery.told_at for delivery, _card in policy_items]
        ),
    )


JOBS: dict[str, Handler] = {
    JOB_EMBED: embed_job,
    JOB_PUBLISHED: scenario_published_job,
    JOB_EMAIL: email_job,
    JOB_POLICY_PUBLISHED: policy_published_job,
    JOB_FACTS_CHANGED: policy_facts_changed_job,
}
