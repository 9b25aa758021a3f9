"""The site's chrome: the parts of every page's frame (base.html) that are the same for every reader in a
language — the brand and search box, the zones' links, the footer. Each is rendered once per language per
process and reused, instead of being rendered (a dozen translated strings) on every request; the reader's
own parts of the frame (their name, notifications, token, the language switch with this page's address)
are still rendered per request by base.html.

Not reused while templates reload (development): an edited template shows at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from community import i18n

if TYPE_CHECKING:
    from jinja2 import Environment

CHROME_PARTS = frozenset({"top", "zones", "footer"})


class SiteChrome:
    """``{{ site_chrome("zones") }}`` in a template: ``partials/chrome_zones.html`` in the current locale."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._made: dict[tuple[str, str], Markup] = {}

    def __call__(self, part: str) -> Markup:
        if part not in CHROME_PARTS:
            raise ValueError(f"no chrome part {part!r}")
        locale = i18n.current_locale()
        key = (locale, part)
        made = None if self.environment.auto_reload else self._made.get(key)
        if made is None:
            template = self.environment.get_template(f"partials/chrome_{part}.html")
            # Rendered with no reader: these parts hold nothing of anyone's.
            made = Markup(template.render(locale=locale))  # noqa: S704 (rendered by the autoescaping environment)
            self._made[key] = made
        return made
