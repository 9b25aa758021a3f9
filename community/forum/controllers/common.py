"""What the forum's controllers share: dependencies, form fields, rendering with the forum's helpers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from community import i18n
from community.forum.models import Category
from community.forum.services import (
    DigestService,
    ModerationService,
    ToolService,
    TopicService,
    TrustService,
    WatchService,
)
from community.forum.services.common import FLAG_LABELS, KIND_LABELS, TOOL_KIND_LABELS, topic_url
from community.forum.services.votes import VoteService, post_url
from community.forum.services.writing import DraftService
from community.web import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: take the last, like a browser would
        value = value[-1] if value else ""
    return str(value)


def category_name(category: Category) -> str:
    return category.name_zh if i18n.current_locale() == "zh_CN" else category.name_en


def kind_label(kind: Any) -> str:
    return i18n.gettext(KIND_LABELS.get(getattr(kind, "value", kind), str(kind)))


def forum_page(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Template:
    context.update(
        category_name=category_name,
        kind_label=kind_label,
        topic_url=topic_url,
        post_url=post_url,
        flag_labels=FLAG_LABELS,
        tool_kind_labels=TOOL_KIND_LABELS,
    )
    return render(request, template, status_code, **context)


async def provide_topics(db_session: NamedDependency[AsyncSession]) -> TopicService:
    return TopicService(db_session)


async def provide_votes(db_session: NamedDependency[AsyncSession]) -> VoteService:
    return VoteService(db_session)


async def provide_trust(db_session: NamedDependency[AsyncSession]) -> TrustService:
    return TrustService(db_session)


async def provide_moderation(db_session: NamedDependency[AsyncSession]) -> ModerationService:
    return ModerationService(db_session)


async def provide_watches(db_session: NamedDependency[AsyncSession]) -> WatchService:
    return WatchService(db_session)


async def provide_digests(db_session: NamedDependency[AsyncSession]) -> DigestService:
    return DigestService(db_session)


async def provide_drafts(db_session: NamedDependency[AsyncSession]) -> DraftService:
    return DraftService(db_session)


async def provide_tools(db_session: NamedDependency[AsyncSession]) -> ToolService:
    return ToolService(db_session)


DEPENDENCIES = {
    "topics": Provide(provide_topics),
    "votes": Provide(provide_votes),
    "trust": Provide(provide_trust),
    "moderation": Provide(provide_moderation),
    "watches": Provide(provide_watches),
    "digests": Provide(provide_digests),
    "drafts": Provide(provide_drafts),
    "tools": Provide(provide_tools),
}
