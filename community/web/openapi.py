"""The API reference at /schema: Swagger UI served from this site's /static, pinned to one version.

Litestar's own viewers load their scripts from public CDNs (unpinned, and often unreachable from mainland
China) and start them with inline scripts, which the site's Content-Security-Policy refuses. This page
loads the vendored copy (static/vendor/swagger-ui-<version>/, see its README) and starts it from
/static/js/openapi.js, which reads what it needs from data attributes; so /schema keeps the CSP of every
other page. The schema itself stays at /schema/openapi.json (and .yaml).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin

SWAGGER_UI = "/static/vendor/swagger-ui-5.36.0"
STARTER = "/static/js/openapi.js"


class VendoredSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI from /static: no inline script or style, nothing from another origin."""

    def __init__(self, *, path: str | Sequence[str] = ("/", "/swagger"), **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        csrf = request.app.csrf_config
        cookie = escape(csrf.cookie_name) if csrf and not csrf.cookie_httponly else ""
        header = escape(csrf.header_name) if csrf else ""
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
<script src="{SWAGGER_UI}/swagger-ui-bundle.js" defer></script>
<script src="{STARTER}" defer></script>
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec_url}" data-csrf-cookie="{cookie}" data-csrf-header="{header}"></div>
<noscript><p>This page needs JavaScript. The schema: <a href="{spec_url}">{spec_url}</a></p></noscript>
</body>
</html>
""".encode()


def openapi_config(title: str, description: str) -> OpenAPIConfig:
    """/schema shows the vendored Swagger UI; /schema/openapi.json and /schema/openapi.yaml are the schema."""
    return OpenAPIConfig(
        title=title,
        version="1.0.0",
        path="/schema",
        description=description,
        render_plugins=[VendoredSwaggerUI(), JsonRenderPlugin(), YamlRenderPlugin()],
    )
