"""Site-wide pages: the home page and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.services import AccountService, OrganizationService
from community.i18n import LOCALE_COOKIE, N_, gettext, normalize_locale
from community.vocabulary import org_type_label
from community.web import render, safe_next


@get("/", name="home")
async def home(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Template:
    organizations = OrganizationService(db_session)
    recent = await organizations.list_organizations(limit=6)
    return render(
        request,
        "home.html",
        recent_orgs=recent,
        org_count=await organizations.count(),
        org_type_label=org_type_label,
    )


@post("/language", name="language")
async def switch_language(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    db_session: NamedDependency[AsyncSession],
) -> Response[Any]:
    locale = normalize_locale(str(data.get("lang", ""))) or "zh_CN"
    response = Redirect(safe_next(str(data.get("next", "")), "/"))
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
    if user := request.scope.get("user"):
        await AccountService(db_session).set_locale(user, locale)
    return response


# The zones named in the navigation. Each gets its own package as its issue lands and takes over its path;
# until then its page says what it will offer, so no menu entry leads nowhere.
UPCOMING_ZONES: dict[str, tuple[str, str]] = {
    "forum": (
        N_("Tech exchange"),
        N_(
            "Articles, code sharing and Q&A on large models, AI coding and agents, with a directory of "
            "mainstream AI frameworks, open models and agent tools."
        ),
    ),
}


@get(["/forum"], name="upcoming_zone")
async def upcoming_zone(request: Request[Any, Any, Any]) -> Template:
    key = request.url.path.strip("/")
    title, description = UPCOMING_ZONES[key]
    return render(request, "zones/upcoming.html", title=gettext(title), description=gettext(description))
