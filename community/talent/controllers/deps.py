"""What the talent zone's handlers are given: its services on the request's session, the open positions'
filters read once from the query string, what every talent page shows its codes with, and the uploaded CV."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from community.kernel.clock import today
from community.markup import markdown_html
from community.talent.inputs import PositionFilters
from community.talent.labels import choices, format_pay, format_place, label
from community.talent.models import OPEN_APPLICATION_STATUSES, EmploymentType
from community.talent.services.applications import ApplicationService
from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService
from community.vocabulary import DISTRICTS
from community.web import provide_service_with_settings, services

APPLY_RATE_PER_MINUTE = 10
# The body of an application may be far larger than the CV limit, so that a 50 MB file still reaches the
# page's own message (with every field kept) instead of a bare 413; uploads spool to disk, not memory.
UPLOAD_MAX_BODY = 64 * 1024 * 1024

Skill = Annotated[str | None, QueryParameter(max_length=100)]
Remote = Annotated[bool, QueryParameter()]
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]


def position_filters(
    q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    skill: Skill = None,
    district: Annotated[str | None, QueryParameter(max_length=40)] = None,
    type: Annotated[str | None, QueryParameter(max_length=20)] = None,
    remote: Remote = False,
    page: PageNumber = 1,
) -> PositionFilters:
    return PositionFilters.clean(
        q=q, skill=skill, district=district, employment_type=type, remote=remote, page=page
    )


def position_api_filters(
    skill: Skill = None, remote: Remote = False, page: PageNumber = 1
) -> PositionFilters:
    """The API's positions are filtered by skill and remote work only (no search, district or type)."""
    return PositionFilters.clean(skill=skill, remote=remote, page=page)


DEPENDENCIES = {
    **services(positions=PositionService, profiles=ProfileService, boards=BoardService),
    "applications": provide_service_with_settings(ApplicationService.from_settings),
    "filters": Provide(position_filters, sync_to_thread=False),
}
API_DEPENDENCIES = DEPENDENCIES | {"filters": Provide(position_api_filters, sync_to_thread=False)}


def context() -> dict[str, Any]:
    """What every talent page reads codes, pay and places with."""
    return {
        "label": label,
        "format_pay": format_pay,
        "format_place": format_place,
        "employment_types": choices(EmploymentType),
        "districts": DISTRICTS,
        "today": today(),
        "open_statuses": [s.value for s in OPEN_APPLICATION_STATUSES],
        "markdown_html": markdown_html,
    }


async def read_upload(data: dict[str, Any], name: str, limit: int) -> tuple[str, bytes]:
    """(file name, at most ``limit + 1`` bytes) of an uploaded file: enough to tell that it is too large
    without reading all of it."""
    upload = data.get(name)
    if isinstance(upload, list):
        upload = next((u for u in upload if isinstance(u, UploadFile)), None)
    if not isinstance(upload, UploadFile):
        return "", b""
    content = await upload.read(limit + 1)
    await upload.close()
    return upload.filename or "", content


# Handler parameter types: the zone's services as its handlers receive them.
Applications = NamedDependency[ApplicationService]
Boards = NamedDependency[BoardService]
Filters = NamedDependency[PositionFilters]
Positions = NamedDependency[PositionService]
Profiles = NamedDependency[ProfileService]
