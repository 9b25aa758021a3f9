"""Categories and tags: what topics are filed under. Members file topics under existing tags (and create
new ones from a trust level); admins add categories and merge a synonym into its tag."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from community.errors import Forbidden, FormError, NotFound
from community.forum.documents import tag_names_query
from community.forum.models import Category, ModAction, Tag, Tool, TopicTag
from community.forum.services.common import DEFAULT_CATEGORIES, TAG_MAX, TAG_RE, TAGS_MAX
from community.forum.services.trust import CREATE_TAG_LEVEL, TrustService
from community.i18n import _
from community.kernel.text import clean_body, clean_line

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.forum.inputs import CategoryInput

CATEGORY_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,38}[a-z0-9])?$")


def tag_name(raw: str) -> str:
    """A tag as typed (``#Python``) as it is stored (``python``)."""
    return clean_line(raw).lower().lstrip("#")


class CatalogService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.trust = TrustService(db)

    # --- categories -------------------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        """Every category in order; the first visit of a new site files the default ones."""
        ordered = select(Category).order_by(Category.position, Category.id)
        rows = list((await self.db.scalars(ordered)).all())
        if rows:
            return rows
        for position, (slug, zh, en, description) in enumerate(DEFAULT_CATEGORIES):
            await self.db.execute(
                insert(Category)
                .values(slug=slug, name_zh=zh, name_en=en, description=description, position=position)
                .on_conflict_do_nothing()
            )
        return list((await self.db.scalars(ordered)).all())

    async def category(self, slug: str) -> Category:
        await self.categories()
        found = await self.db.scalar(select(Category).where(Category.slug == slug))
        if found is None:
            raise NotFound
        return found

    async def save_category(self, admin: Any, data: CategoryInput) -> Category:
        """Admins add a category, or change one (found by its web name)."""
        if not admin.is_admin:
            raise Forbidden
        errors: dict[str, str] = {}
        slug = clean_line(data.slug).lower()
        name_zh, name_en = clean_line(data.name_zh), clean_line(data.name_en)
        if not CATEGORY_SLUG_RE.match(slug):
            errors["slug"] = _("Lowercase letters, digits and hyphens, at most 40.")
        if not 1 <= len(name_zh) <= 60:
            errors["name_zh"] = _("Enter a name of at most %(n)s characters.", n=60)
        if not 1 <= len(name_en) <= 60:
            errors["name_en"] = _("Enter a name of at most %(n)s characters.", n=60)
        description = clean_body(data.description)[:1000]
        position = data.position.strip()
        if position and not position.lstrip("-").isdigit():
            errors["position"] = _("Enter a whole number.")
        if errors:
            raise FormError(errors)
        category = await self.db.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(slug=slug, name_zh=name_zh, name_en=name_en)
            self.db.add(category)
        category.name_zh, category.name_en, category.description = name_zh, name_en, description
        if position:
            category.position = max(-1000, min(1000, int(position)))
        self.db.add(ModAction(moderator_id=admin.id, action="category_save", note=slug))
        await self.db.flush()
        return category

    # --- tags -------------------------------------------------------------------------------------

    async def tag(self, name: str) -> Tag:
        """A tag by name; a merged synonym gives the tag it was merged into."""
        found = await self.db.scalar(select(Tag).where(Tag.name == name.strip().lower()))
        if found is None:
            raise NotFound
        if found.synonym_of_id:
            target = await self.db.get(Tag, found.synonym_of_id)
            if target is not None:
                return target
        return found

    async def popular_tags(self, limit: int = 60) -> list[Tag]:
        popular = (
            select(Tag)
            .where(Tag.synonym_of_id.is_(None))
            .order_by(Tag.topic_count.desc(), Tag.name)
            .limit(limit)
        )
        return list((await self.db.scalars(popular)).all())

    async def tag_names(self, topic_id: int) -> list[str]:
        return list((await self.db.scalars(tag_names_query(topic_id))).all())

    async def tag_ids(self, topic_id: int) -> list[int]:
        return list(
            (await self.db.scalars(select(TopicTag.tag_id).where(TopicTag.topic_id == topic_id))).all()
        )

    async def resolve_tags(self, user: Any, raw: str, errors: dict[str, str]) -> list[Tag]:
        """The tags a member typed (comma- or space-separated), synonyms replaced by their tags. Unknown
        tags are created from trust level ``CREATE_TAG_LEVEL``; below it, they are an error."""
        names = [tag_name(n) for n in re.split(r"[,，、\s]+", raw) if n.strip()]
        names = list(dict.fromkeys(n for n in names if n))
        if len(names) > TAGS_MAX:
            errors["tags"] = _("Use at most %(n)s tags.", n=TAGS_MAX)
            return []
        bad = [n for n in names if len(n) > TAG_MAX or not TAG_RE.match(n)]
        if bad:
            errors["tags"] = _(
                "Tags are single words of letters, digits, Chinese characters and + # . - (at most %(n)s "
                "characters): %(bad)s",
                n=TAG_MAX,
                bad=", ".join(bad)[:120],
            )
            return []
        existing = {t.name: t for t in (await self.db.scalars(select(Tag).where(Tag.name.in_(names)))).all()}
        missing = [n for n in names if n not in existing]
        if missing and await self.trust.level(user) < CREATE_TAG_LEVEL:
            errors["tags"] = _(
                "New tags can be created from trust level %(level)s; use existing tags for now: %(names)s",
                level=CREATE_TAG_LEVEL,
                names=", ".join(missing)[:120],
            )
            return []
        for name in missing:
            await self.db.execute(insert(Tag).values(name=name).on_conflict_do_nothing())
        if missing:
            for tag in (await self.db.scalars(select(Tag).where(Tag.name.in_(missing)))).all():
                existing[tag.name] = tag
        result: list[Tag] = []
        for name in names:
            tag = existing[name]
            if tag.synonym_of_id:
                tag = await self.db.get(Tag, tag.synonym_of_id) or tag
            if tag not in result:
                result.append(tag)
        return result

    async def resolve_tools(self, raw: str, errors: dict[str, str]) -> list[tuple[Tool, str]]:
        """The directory entries a topic was tested with (``langchain@0.3, qwen2.5``): approved ones only."""
        cited: list[tuple[Tool, str]] = []
        for item in [p.strip() for p in re.split(r"[,，\s]+", raw) if p.strip()][:10]:
            slug, _sep, version = item.partition("@")
            tool = await self.db.scalar(
                select(Tool).where(Tool.slug == slug.lower(), Tool.approved.is_(True))
            )
            if tool is None:
                errors["tools"] = _("No approved directory entry is called %(slug)s.", slug=slug[:60])
                return []
            cited.append((tool, clean_line(version)[:40]))
        return cited

    async def merge_tags(self, admin: Any, source: str, target: str) -> Tag:
        """Make ``source`` a synonym of ``target``: its topics move over, and typing it files under target."""
        if not admin.is_admin:
            raise Forbidden
        source, target = tag_name(source), tag_name(target)
        tags = {
            t.name: t
            for t in (await self.db.scalars(select(Tag).where(Tag.name.in_([source, target])))).all()
        }
        errors: dict[str, str] = {}
        if source not in tags:
            errors["source"] = _("No tag is called %(name)s.", name=source[:40])
        if target not in tags:
            errors["target"] = _("No tag is called %(name)s.", name=target[:40])
        elif source == target or tags[target].synonym_of_id:
            errors["target"] = _("Choose another tag that is not itself a synonym.")
        if errors:
            raise FormError(errors)
        src, dst = tags[source], tags[target]
        moving = select(TopicTag.topic_id, literal(dst.id)).where(TopicTag.tag_id == src.id)
        await self.db.execute(
            insert(TopicTag).from_select(["topic_id", "tag_id"], moving).on_conflict_do_nothing()
        )
        await self.db.execute(delete(TopicTag).where(TopicTag.tag_id == src.id))
        await self.db.execute(update(Tag).where(Tag.synonym_of_id == src.id).values(synonym_of_id=dst.id))
        src.synonym_of_id, src.topic_count = dst.id, 0
        count = select(func.count()).where(TopicTag.tag_id == dst.id).scalar_subquery()
        await self.db.execute(update(Tag).where(Tag.id == dst.id).values(topic_count=count))
        self.db.add(ModAction(moderator_id=admin.id, action="tag_merge", note=f"{source} → {target}"))
        return dst
