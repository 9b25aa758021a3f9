"""人才名片: one talent profile per member. Organizations see it as a candidate only when the member says they
are open to offers; an application carries a copy of it as it was when sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from community.errors import FormError
from community.i18n import _
from community.jobs import enqueue
from community.markup import clean_body, clean_line
from community.talent.models import TalentProfile
from community.talent.services.common import JOB_EMBED, parse_links, parse_skills, whole_number
from community.vocabulary import DISTRICTS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from community.accounts.models import User

HEADLINE_MAX = 100
EXPERIENCE_MAX = 5000
FIELDS = (
    "headline",
    "skills",
    "experience",
    "years_experience",
    "district",
    "remote",
    "links",
    "open_to_offers",
)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ProfileValues:
    headline: str
    skills: list[str]
    experience: str
    years_experience: int
    district: str
    remote: bool
    links: list[str]
    open_to_offers: bool


def validate_profile(data: Mapping[str, Any]) -> ProfileValues:
    errors: dict[str, str] = {}
    headline = clean_line(_text(data, "headline"))
    if not headline:
        errors["headline"] = _("Say in one line what you do, like “大模型应用工程师 / RAG and agents”.")
    elif len(headline) > HEADLINE_MAX:
        errors["headline"] = _("Use at most %(n)s characters.", n=HEADLINE_MAX)
    skills = parse_skills(_text(data, "skills"), errors)
    if not skills and "skills" not in errors:
        errors["skills"] = _("List at least one skill, separated by commas.")
    experience = clean_body(_text(data, "experience"))
    if len(experience) > EXPERIENCE_MAX:
        errors["experience"] = _("Use at most %(n)s characters.", n=EXPERIENCE_MAX)
    years = whole_number(_text(data, "years_experience"), errors, "years_experience", low=0, high=60) or 0
    district = clean_line(_text(data, "district"))
    if district and district not in DISTRICTS:
        errors["district"] = _("Choose a district from the list.")
    remote = _text(data, "remote") in ("yes", "on", "true", "1")
    if not district and not remote:
        errors["district"] = _("Choose your district, or say you work remotely.")
    links = parse_links(_text(data, "links"), errors)
    if errors:
        raise FormError(errors)
    return ProfileValues(
        headline=headline,
        skills=skills,
        experience=experience,
        years_experience=years,
        district=district,
        remote=remote,
        links=links,
        open_to_offers=_text(data, "open_to_offers") in ("yes", "on", "true", "1"),
    )


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


def profile_form(profile: TalentProfile | None) -> dict[str, Any]:
    if profile is None:
        return {}
    return {
        "headline": profile.headline,
        "skills": "，".join(profile.skills),
        "experience": profile.experience,
        "years_experience": str(profile.years_experience),
        "district": profile.district,
        "remote": "yes" if profile.remote else "",
        "links": " ".join(profile.links),
        "open_to_offers": "yes" if profile.open_to_offers else "",
    }


class ProfileService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def of_user(self, user_id: UUID) -> TalentProfile | None:
        return await self.db.scalar(select(TalentProfile).where(TalentProfile.user_id == user_id))

    async def save(self, user: User, data: Mapping[str, Any]) -> TalentProfile:
        """Create or replace the member's one profile (an upsert: two tabs saving at once make one row)."""
        values = validate_profile(data)
        fields = {
            "headline": values.headline,
            "skills": values.skills,
            "experience": values.experience,
            "years_experience": values.years_experience,
            "district": values.district,
            "remote": values.remote,
            "links": values.links,
            "open_to_offers": values.open_to_offers,
        }
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
