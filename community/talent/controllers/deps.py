"""What the talent zone's handlers are given: its services on the request's session, what every talent page
shows its codes with, and the uploaded CV."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile
from litestar.di import NamedDependency

from community.kernel.clock import today
from community.markup import markdown_html
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

DEPENDENCIES = {
    **services(positions=PositionService, profiles=ProfileService, boards=BoardService),
    "applications": provide_service_with_settings(ApplicationService.from_settings),
}


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
Positions = NamedDependency[PositionService]
Profiles = NamedDependency[ProfileService]
