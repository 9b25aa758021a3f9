"""Admin page: bulk import of scenarios from CSV or XLSX, every row or none, and the templates to fill in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from community.accounts.guards import Member, requires_admin
from community.errors import FormError
from community.i18n import _
from community.kernel.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from community.scenarios.controllers.deps import Imports
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
from community.web import Multipart, field, render, services

# The body may be a little larger than the file limit (the form's other fields, the multipart framing);
# a file over MAX_BYTES but under this gets the page's own message, a larger body the 413 page.
BODY_LIMIT = 3 * MAX_BYTES
STATUSES = ("submitted", "published")  # what the imported rows become


def _upload(data: dict[str, Any]) -> UploadFile | None:
    """The file sent (the first, if several were)."""
    upload = data.get("file")
    if isinstance(upload, list):
        upload = next((u for u in upload if isinstance(u, UploadFile)), None)
    return upload if isinstance(upload, UploadFile) and upload.filename else None


def _template(body: bytes, media_type: str, extension: str) -> Response[bytes]:
    """The template to fill in, as a download."""
    disposition = f'attachment; filename="scenario-import-template.{extension}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


class ScenarioImportController(Controller):
    path = "/admin/scenarios/import"
    guards = [requires_admin]
    dependencies = services(imports=ImportService)

    def _page(self, request: Member, status_code: int = 200, **context: Any) -> Template:
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
    async def form(self, request: Member) -> Template:
        return self._page(request)

    @post("/", request_max_body_size=BODY_LIMIT)
    async def upload(self, request: Member, data: Multipart, imports: Imports) -> Template:
        form = {"status": field(data, "status") or "submitted", "organization": field(data, "organization")}
        upload = _upload(data)
        filename = upload.filename if upload is not None else ""
        try:
            if upload is None:
                raise FormError({"file": _("Choose a CSV or XLSX file to import.")})
            if form["status"] not in STATUSES:
                raise FormError({"status": _("Choose what happens to the rows.")})
            try:
                content = await upload.read(MAX_BYTES + 1)
            finally:
                await upload.close()
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
        return _template(template_csv(), CSV_MEDIA_TYPE, "csv")

    @get("/template.xlsx", name="scenario_import_template_xlsx")
    async def template_xlsx(self) -> Response[bytes]:
        return _template(template_xlsx(), XLSX_MEDIA_TYPE, "xlsx")


IMPORT_CONTROLLERS = [ScenarioImportController]
