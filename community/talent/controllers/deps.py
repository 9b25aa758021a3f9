"""What the talent zone's handlers are given: its services on the request's session, and form helpers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from community.config import Settings, get_settings
from community.talent.services.applications import ApplicationService
from community.talent.services.boards import BoardService
from community.talent.services.positions import PositionService
from community.talent.services.profiles import ProfileService

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
APPLY_RATE_PER_MINUTE = 10
# The body of an application may be far larger than the CV limit, so that a 50 MB file still reaches the
# page's own message (with every field kept) instead of a bare 413; uploads spool to disk, not memory.
UPLOAD_MAX_BODY = 64 * 1024 * 1024


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


async def provide_positions(db_session: NamedDependency[AsyncSession]) -> PositionService:
    return PositionService(db_session)


async def provide_applications(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> ApplicationService:
    settings = settings_of(request)
    return ApplicationService(
        db_session,
        cv_dir=settings.cv_dir,
        cv_max_bytes=settings.talent_cv_max_bytes,
        response_days=settings.talent_response_days,
    )


async def provide_profiles(db_session: NamedDependency[AsyncSession]) -> ProfileService:
    return ProfileService(db_session)


async def provide_boards(db_session: NamedDependency[AsyncSession]) -> BoardService:
    return BoardService(db_session)


DEPENDENCIES = {
    "positions": Provide(provide_positions),
    "applications": Provide(provide_applications),
    "profiles": Provide(provide_profiles),
    "boards": Provide(provide_boards),
}


def field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: the last one wins, as in a browser
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if isinstance(v, str) and v]


def form_of(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """What was typed, to send the form back with every field kept."""
    return {name: field(data, name)[:20_000] for name in names}


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
