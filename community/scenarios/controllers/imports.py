"""Admin page: bulk import of scenarios from CSV or XLSX, every row or none, and the templates to fill in."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from community.accounts.guards import requires_admin
from community.accounts.models import User
from community.errors import FormError
from community.i18n import _
from community.scenarios.services.imports import (
    MAX_BYTES,
    MAX_ROWS,
    TEMPLATE_HEADERS,
    ImportRefused,
    ImportService,
    template_csv,
    template_xlsx,
)
from community.scenarios.services.scenarios import scenario_url
from community.web import render

# The body may be a little larger than the file limit (the form's other fields, the multipart framing);
# a file over MAX_BYTES but under this gets the page's own message, a larger body the 413 page.
BODY_LIMIT = 3 * MAX_BYTES
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


async def provide_imports(db_session: NamedDependency[AsyncSession]) -> ImportService:
    return ImportService(db_session)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


class ScenarioImportController(Controller):
    path = "/admin/scenarios/import"
    guards = [requires_admin]
    dependencies = {"imports": Provide(provide_imports)}

    def _page(self, request: Request[User, Any, Any], status_code: int = 200, **context: Any) -> Template:
        context.setdefault("form", {"status": "submitted"})
        return render(
            request,
            "scenarios/import.html",
            status_code,
            max_mb=MAX_BYTES // (1024 * 1024),
            max_rows=MAX_ROWS,
            headers=TEMPLATE_HEADERS,
            scenario_url=scenario_url,
            **context,
        )

    @get("/", name="scenario_import")
    async def form(self, request: Request[User, Any, Any]) -> Template:
        return self._page(request)

    @post("/", request_max_body_size=BODY_LIMIT)
    async def upload(
        self, request: Request[User, Any, Any], data: Multipart, imports: NamedDependency[ImportService]
    ) -> Template:
        form = {"status": _text(data, "status") or "submitted", "organization": _text(data, "organization")}
        upload = data.get("file")
        if isinstance(upload, list):
            upload = next((u for u in upload if isinstance(u, UploadFile)), None)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._page(
                request, 400, form=form, errors={"file": _("Choose a CSV or XLSX file to import.")}
            )
        if form["status"] not in ("submitted", "published"):
            return self._page(
                request, 400, form=form, errors={"status": _("Choose what happens to the rows.")}
            )
        try:
            content = await upload.read(MAX_BYTES + 1)
            filename = upload.filename
        finally:
            await upload.close()
        try:
            result = await imports.import_file(
                request.user,
                filename,
                content,
                publish=form["status"] == "published",
                default_organization=form["organization"],
            )
        except ImportRefused as refused:
            # 400: the request's transaction is rolled back, so nothing of the file is kept.
            return self._page(
                request,
                400,
                form=form,
                refused=refused,
                filename=filename,
                errors={"file": _("Nothing was imported.")},
            )
        except FormError as exc:
            return self._page(request, 400, form=form, errors=exc.errors)
        return self._page(request, form=form, result=result)

    @get("/template.csv", name="scenario_import_template_csv")
    async def template_csv(self) -> Response[bytes]:
        return Response(
            template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="scenario-import-template.csv"'},
        )

    @get("/template.xlsx", name="scenario_import_template_xlsx")
    async def template_xlsx(self) -> Response[bytes]:
        return Response(
            template_xlsx(),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": 'attachment; filename="scenario-import-template.xlsx"'},
        )


IMPORT_CONTROLLERS = [ScenarioImportController]
