"""The recommendation mail: every scenario pushed and every policy told to a member's organizations, and every
forum question offered to the member, since their last mail, in one message in the member's language, with a
one-click unsubscribe link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from community import i18n
from community.kernel.tokens import member_token, read_member_token
from community.matching.policies import deliveries_to_mail
from community.matching.questions import offers_to_mail
from community.matching.services.push import PushService
from community.matching.views import reasons

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings
    from community.notifications.email import Mailer

UNSUBSCRIBE_PURPOSE = "matching-unsubscribe"


def unsubscribe_token(secret: str, user_id: UUID) -> str:
    return member_token(secret, UNSUBSCRIBE_PURPOSE, user_id)


def read_unsubscribe_token(secret: str, token: str) -> UUID | None:
    """The member an unsubscribe link was made for, or None when it is not one of ours."""
    return read_member_token(secret, UNSUBSCRIBE_PURPOSE, token)


class RecommendationMail:
    def __init__(self, db: AsyncSession, settings: Settings, mailer: Mailer) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer
        self.push = PushService(db, settings, None)

    async def send(self, user_id: UUID) -> bool:
        """One mail with everything not mailed yet (one push when immediate, a digest when daily or weekly);
        nothing when the member unsubscribed or nothing is new. Marks what it mailed."""
        preferences = self.push.preferences
        subscription = await preferences.subscription(user_id)
        if subscription.rhythm == "off" or subscription.unsubscribed_at is not None:
            return False
        items = await self.push.pushes_to_mail(user_id)
        policy_items = await deliveries_to_mail(self.db, self.push, user_id)
        user = await self.push.member(user_id)
        since = subscription.last_emailed_at or (datetime.now(UTC) - timedelta(days=7))
        with i18n.locale(user.locale):
            questions = await offers_to_mail(self.db, user_id, since)
        if not items and not policy_items and not questions:
            return False
        base = self.settings.base_url.rstrip("/")
        with i18n.locale(user.locale):
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
                        "%(num)s policy you qualify for",
                        "%(num)s policies you qualify for",
                        len(policy_items),
                    )
                    % {"num": len(policy_items)}
                )
            if questions:
                subjects.append(
                    i18n.ngettext(
                        "%(num)s question you may answer", "%(num)s questions you may answer", len(questions)
                    )
                    % {"num": len(questions)}
                )
            token = unsubscribe_token(self.settings.secret_key, user.id)
            await self.mailer.send_template(
                user.email,
                i18n.gettext("; ").join(subjects),
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
                questions=[{"title": q.title, "url": base + q.url, "why": q.why} for q in questions],
                name=user.display_name,
                for_you_url=f"{base}/matching/for-you",
                unsubscribe_url=f"{base}/matching/unsubscribe?token={token}",
            )
        # The newest push mailed, not the clock: a push made while this mail was written goes in the next one.
        newest = max(
            [push.created_at for push, _card in items]
            + [delivery.told_at for delivery, _card in policy_items]
            + [question.offered_at for question in questions]
        )
        await preferences.mark_mailed(user_id, newest)
        return True
