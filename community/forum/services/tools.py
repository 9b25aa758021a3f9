"""The AI tool directory (工具与模型目录): members suggest entries, admins approve them; topics cite them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from community.errors import Forbidden, FormError, NotFound
from community.forum.models import ModAction, Tool, ToolKind
from community.forum.services.common import URL_RE
from community.i18n import _
from community.kernel.text import clean_body, clean_line

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.forum.inputs import ToolInput

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.\-]{0,58}[a-z0-9])?$")


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

    async def suggest(self, user: Any, data: ToolInput) -> Tool:
        """A member suggests an entry; an admin's is listed at once, anyone else's waits for approval."""
        errors: dict[str, str] = {}
        name = clean_line(data.name)[:200]
        slug = clean_line(data.slug).lower() or re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")
        kind = data.kind
        homepage = clean_line(data.homepage)
        if not 2 <= len(name) <= 80:
            errors["name"] = _("Enter the name, 2 to 80 characters.")
        if not SLUG_RE.match(slug):
            errors["slug"] = _("Lowercase letters, digits, dots and hyphens, like langchain or qwen2.5.")
        if kind not in {k.value for k in ToolKind}:
            errors["kind"] = _("Choose a kind.")
        if not URL_RE.match(homepage) or len(homepage) > 300:
            errors["homepage"] = _("Enter the homepage's address, starting with https://.")
        description = clean_body(data.description)
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
            license=clean_line(data.license)[:60],
            description=description,
            tags=", ".join(t for t in (clean_line(x)[:30] for x in re.split(r"[,，]", data.tags)) if t)[:300],
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
