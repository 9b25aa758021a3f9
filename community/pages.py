"""Site-wide pages: the home page, the language switch and the favicon."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.response import File, Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.services import AccountService, OrganizationService
from community.events.labels import label as event_label
from community.events.services.events import EventService
from community.i18n import LOCALE_COOKIE, normalize_locale
from community.scenarios.labels import format_budget, label
from community.scenarios.services.scenarios import ScenarioFilters, ScenarioService, today
from community.vocabulary import org_type_label
from community.web import Form, field, render, safe_next, shared_fragment
from community.web.deps import settings_of


@get("/", name="home", cache=True)
async def home(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Template:
    async def public_part() -> dict[str, Any]:
        organizations = OrganizationService(db_session)
        return {
            "recent_orgs": await organizations.list_organizations(limit=6),
            "org_count": await organizations.count(),
            "org_type_label": org_type_label,
            "latest_scenarios": await ScenarioService(db_session).list_public(ScenarioFilters(), per_page=4),
            "label": label,
            "format_budget": format_budget,
            "today": today(),
            "upcoming_events": await EventService(db_session).upcoming(3),
            "event_label": event_label,
        }

    # The blocks are everyone's: rendered once per interval or change, per language (web.fragments).
    key = f"/?today={today().isoformat()}"
    shared = await shared_fragment(request, "partials/home_blocks.html", key, public_part)
    return render(request, "home.html", shared=shared)


@post("/language", name="language")
async def switch_language(
    request: Request[Any, Any, Any], data: Form, db_session: NamedDependency[AsyncSession]
) -> Response[Any]:
    locale = normalize_locale(field(data, "lang")) or "zh_CN"
    response = Redirect(safe_next(field(data, "next"), "/"))
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
    if user := request.scope.get("user"):
        await AccountService(db_session).set_locale(user, locale)
    return response


@get("/favicon.ico", name="favicon", include_in_schema=False, cache_control=CacheControlHeader(max_age=86400))
async def favicon(request: Request[Any, Any, Any]) -> File:
    """Browsers, feed readers and bookmarks ask for /favicon.ico whatever the page says; pages point to the
    SVG and to this one (16, 32 and 48 pixels)."""
    return File(
        settings_of(request).static_dir / "favicon.ico",
        media_type="image/x-icon",
        content_disposition_type="inline",
    )
