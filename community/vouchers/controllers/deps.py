"""What the voucher zone's handlers are given: its services on the request's session, form helpers,
the client's address and the rate limits of claiming and redeeming."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.rate_limit import get_remote_address
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.models import User
from community.config import Settings
from community.notifications.email import Mailer
from community.vouchers.services.campaigns import VoucherService
from community.vouchers.services.products import ProductService
from community.vouchers.services.reports import ReportService
from community.vouchers.services.students import StudentService, UniversityService

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def provide_products(db_session: NamedDependency[AsyncSession]) -> ProductService:
    return ProductService(db_session)


async def provide_vouchers(db_session: NamedDependency[AsyncSession]) -> VoucherService:
    return VoucherService(db_session)


async def provide_students(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> StudentService:
    settings: Settings = request.app.state.settings
    return StudentService(db_session, settings.proof_dir)


async def provide_universities(db_session: NamedDependency[AsyncSession]) -> UniversityService:
    return UniversityService(db_session)


async def provide_reports(db_session: NamedDependency[AsyncSession]) -> ReportService:
    return ReportService(db_session)


def provide_mailer(request: Request[Any, Any, Any]) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


DEPENDENCIES = {
    "products": Provide(provide_products),
    "vouchers": Provide(provide_vouchers),
    "students": Provide(provide_students),
    "universities": Provide(provide_universities),
    "reports": Provide(provide_reports),
    "mailer": Provide(provide_mailer, sync_to_thread=False),
}


def field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # a field sent twice: the last one wins, as in a browser
        value = value[-1] if value else ""
    return str(value)


def many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def form_of(data: dict[str, Any], *lists: str) -> dict[str, Any]:
    form: dict[str, Any] = {
        key: field(data, key) for key in data if key not in lists and key != "_csrf_token"
    }
    for name in lists:
        form[name] = many(data, name)
    return form


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The client's address as PostgreSQL's inet takes it, or None (a test client has none)."""
    try:
        return str(ipaddress.ip_address(get_remote_address(request)))
    except ValueError:
        return None


def user_of(request: Request[Any, Any, Any]) -> User:
    user: User | None = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException
    return user
