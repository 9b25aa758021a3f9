"""The web kit: what every page and form shares.

- ``rendering``: ``render`` with the layout's context, ``safe_next``, ``is_api``, ``is_htmx``, a list page's
  filter chips.
- ``errors``: domain errors, HTTP errors and failures turned into pages or problem details, in one place.
- ``security``: the security headers of every answer.
- ``bodies``: how large a request body may be (text routes, and the routes that take files).
- ``page_cache``: public pages rendered once per short interval for visitors who are not logged in.
- ``fragments``: the public part of a listing rendered once per interval or change, shared by every reader.
- ``deps``: services made from the request's session, the app's settings, the mailer.
- ``forms``: reading forms, sending them back with fields kept, rate limits from the app's settings, and
  the two handler shapes (``act`` and ``form_or_redirect``).
"""

from community.web.bodies import UploadBodyLimit
from community.web.deps import (
    MAILER,
    SETTINGS,
    provide_service,
    provide_service_with_settings,
    services,
    settings_of,
)
from community.web.errors import (
    EXCEPTION_HANDLERS,
    domain_exception_handler,
    http_exception_handler,
    internal_error_handler,
)
from community.web.forms import (
    Form,
    Multipart,
    act,
    client_ip,
    errors_text,
    field,
    form_of,
    form_or_redirect,
    limit_per_account,
    limit_per_address,
    many,
    user_of,
)
from community.web.fragments import shared_fragment
from community.web.page_cache import (
    ANONYMOUS_PAGES_STORE,
    CSRF_COOKIE,
    PRIVATE_KEY,
    SESSION_COOKIE,
    AnonymousPageStore,
    CachedRouteQueries,
    anonymous_page_cache,
    known_query,
)
from community.web.rendering import (
    API_PREFIX,
    Visitor,
    current_user,
    filter_chips,
    is_api,
    is_htmx,
    render,
    safe_next,
)
from community.web.security import SecurityHeadersMiddleware

__all__ = (
    "ANONYMOUS_PAGES_STORE",
    "API_PREFIX",
    "CSRF_COOKIE",
    "EXCEPTION_HANDLERS",
    "MAILER",
    "PRIVATE_KEY",
    "SESSION_COOKIE",
    "SETTINGS",
    "AnonymousPageStore",
    "CachedRouteQueries",
    "Form",
    "Multipart",
    "SecurityHeadersMiddleware",
    "UploadBodyLimit",
    "Visitor",
    "act",
    "anonymous_page_cache",
    "client_ip",
    "current_user",
    "domain_exception_handler",
    "errors_text",
    "field",
    "filter_chips",
    "form_of",
    "form_or_redirect",
    "http_exception_handler",
    "internal_error_handler",
    "is_api",
    "is_htmx",
    "known_query",
    "limit_per_account",
    "limit_per_address",
    "many",
    "provide_service",
    "provide_service_with_settings",
    "render",
    "safe_next",
    "services",
    "settings_of",
    "shared_fragment",
    "user_of",
)
