"""The AI tool directory (工具与模型目录): members suggest entries, admins approve them; topics cite them.
Also the admins' tag work: merging a synonym into its tag."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from community.errors import Forbidden, FormError, NotFound
from community.forum.models import Category, ModAction, Tag, Tool, ToolKind, TopicTag
from community.i18n import _
from community.markup import clean_body, clean_line

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.\-]{0,58}[a-z0-9])?$")
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


class ToolService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(self, kind: str | None = None, *, approved: bool = True) -> list[Tool]:
        query = select(Tool).where(Tool.approved.is_(approved)).order_by(Tool.name)
        if kind in {k.value for k in ToolKind}:
            query = query.where(Tool.kind == kind)
        return list((await self.db.scalars(query)).all())

    async def by_slug(self, slug: str, user: Any = None) -> Tool:
        tool = await self.db.scalar(select(Tool).where(Tool.slug == slug))
        if tool is None or (
            not tool.approved and not (user and (user.is_admin or user.id == tool.suggested_by_id))
        ):
            raise NotFound
        return tool

    async def suggest(self, user: Any, form: dict[str, str]) -> Tool:
        errors: dict[str, str] = {}
        name = clean_line(form.get("name", ""))[:200]
        slug = clean_line(form.get("slug", "")).lower() or re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip(
            "-"
        )
        kind = form.get("kind", "")
        homepage = clean_line(form.get("homepage", ""))
        if not 2 <= len(name) <= 80:
            errors["name"] = _("Enter the name, 2 to 80 characters.")
        if not SLUG_RE.match(slug):
            errors["slug"] = _("Lowercase letters, digits, dots and hyphens, like langchain or qwen2.5.")
        if kind not in {k.value for k in ToolKind}:
            errors["kind"] = _("Choose a kind.")
        if not URL_RE.match(homepage) or len(homepage) > 300:
            errors["homepage"] = _("Enter the homepage's address, starting with https://.")
        description = clean_body(form.get("description", ""))
        if len(description) > 2000:
            errors["description"] = _("Use at most %(n)s characters.", n=2000)
        if not errors and await self.db.scalar(select(Tool.id).where(Tool.slug == slug)):
            errors["slug"] = _("An entry with this web name exists already.")
        if errors:
            raise FormError(errors)
        tool = Tool(
            slug=slug,
            name=name,
            kind=ToolKind(kind),
            homepage=homepage,
            license=clean_line(form.get("license", ""))[:60],
            description=description,
            tags=", ".join(
                t for t in (clean_line(x)[:30] for x in re.split(r"[,，]", form.get("tags", ""))) if t
            )[:300],
            approved=bool(user.is_admin),
            suggested_by_id=user.id,
        )
        self.db.add(tool)
        await self.db.flush()
        return tool

    async def approve(self, admin: Any, slug: str, approve: bool) -> None:
        if not admin.is_admin:
            raise Forbidden
        tool = await self.db.scalar(select(Tool).where(Tool.slug == slug))
        if tool is None:
            raise NotFound
        if approve:
            tool.approved = True
        else:
            await self.db.delete(tool)
        self.db.add(ModAction(moderator_id=admin.id, action="tool_" + ("approve" if approve else "reject"),
                              note=tool.slug))  # fmt: skip

    async def merge_tags(self, admin: Any, source: str, target: str) -> Tag:
        """Make ``source`` a synonym of ``target``: its topics move over, and typing it files under target."""
        if not admin.is_admin:
            raise Forbidden
        source, target = clean_line(source).lower().lstrip("#"), clean_line(target).lower().lstrip("#")
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


CATEGORY_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,38}[a-z0-9])?$")


async def save_category(db: AsyncSession, admin: Any, form: dict[str, str]) -> Category:
    """Admins add a category, or change one (found by its web name)."""
    if not admin.is_admin:
        raise Forbidden
    errors: dict[str, str] = {}
    slug = clean_line(form.get("slug", "")).lower()
    name_zh, name_en = clean_line(form.get("name_zh", "")), clean_line(form.get("name_en", ""))
    if not CATEGORY_SLUG_RE.match(slug):
        errors["slug"] = _("Lowercase letters, digits and hyphens, at most 40.")
    if not 1 <= len(name_zh) <= 60:
        errors["name_zh"] = _("Enter a name of at most %(n)s characters.", n=60)
    if not 1 <= len(name_en) <= 60:
        errors["name_en"] = _("Enter a name of at most %(n)s characters.", n=60)
    description = clean_body(form.get("description", ""))[:1000]
    position = form.get("position", "").strip()
    if position and not position.lstrip("-").isdigit():
        errors["position"] = _("Enter a whole number.")
    if errors:
        raise FormError(errors)
    category = await db.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(slug=slug, name_zh=name_zh, name_en=name_en)
        db.add(category)
    category.name_zh, category.name_en, category.description = name_zh, name_en, description
    if position:
        category.position = max(-1000, min(1000, int(position)))
    db.add(ModAction(moderator_id=admin.id, action="category_save", note=slug))
    await db.flush()
    return category
