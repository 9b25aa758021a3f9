"""人才名片: one talent profile per member. Organizations see it as a candidate only when the member says they
are open to offers; an application carries a copy of it as it was when sent."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from community.jobs import enqueue
from community.talent.inputs import ProfileInput
from community.talent.models import TalentProfile
from community.talent.services.common import JOB_EMBED

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User


def profile_snapshot(profile: TalentProfile, display_name: str) -> dict[str, Any]:
    """What an organization reads of an applicant: the profile as it was when they applied."""
    return {
        "v": 1,
        "name": display_name,
        "headline": profile.headline,
        "skills": list(profile.skills),
        "experience": profile.experience,
        "years_experience": profile.years_experience,
        "district": profile.district,
        "remote": profile.remote,
        "links": list(profile.links),
    }


class ProfileService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def of_user(self, user_id: UUID) -> TalentProfile | None:
        return await self.db.scalar(select(TalentProfile).where(TalentProfile.user_id == user_id))

    async def save(self, user: User, data: Mapping[str, Any]) -> TalentProfile:
        """Create or replace the member's one profile (an upsert: two tabs saving at once make one row)."""
        fields = asdict(ProfileInput.parse(data))
        statement = insert(TalentProfile).values(user_id=user.id, **fields)
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={**fields, "updated_at": statement.excluded.updated_at}
            )
        )
        profile = await self.db.scalar(
            select(TalentProfile)
            .where(TalentProfile.user_id == user.id)
            .execution_options(populate_existing=True)
        )
        assert profile is not None
        await enqueue(
            self.db,
            JOB_EMBED,
            {"owner_type": "talent", "owner_id": str(profile.id)},
            dedupe_key=f"{JOB_EMBED}:talent:{profile.id}",
        )
        return profile

    async def open_profiles(self, limit: int = 100_000) -> Sequence[TalentProfile]:
        """Profiles of members open to offers: the candidates organizations may be shown."""
        return (
            await self.db.scalars(
                select(TalentProfile)
                .where(TalentProfile.open_to_offers.is_(True))
                .order_by(TalentProfile.updated_at.desc())
                .limit(limit)
            )
        ).all()

    async def get(self, profile_id: UUID) -> TalentProfile | None:
        return await self.db.get(TalentProfile, profile_id)
