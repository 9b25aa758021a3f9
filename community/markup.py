"""Markdown written by members, rendered on the server and sanitized: what any zone shows as rich text.

Fenced code is highlighted with Pygments; the result passes through nh3 with an allow-list, so no script,
event handler, ``javascript:``/``data:`` URL or style survives, and links get ``rel="nofollow ugc"``.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
}
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang.strip().split()[0]) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it escapes it as a plain code block
    # Starting with "<pre" tells markdown-it to use this as it is, instead of wrapping it again.
    name = lexer.aliases[0] if lexer.aliases else "text"
    body = highlight(code, lexer, _FORMATTER)
    return f'<pre class="highlight"><code class="language-{name}">{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "js-default": no raw HTML passes through markdown at all; nh3 still cleans what markdown makes.
    return (
        MarkdownIt("js-default", {"highlight": _highlight, "linkify": False})
        .enable("table")
        .enable("strikethrough")
    )


def render_markdown(text: str) -> Markup:
    html = _parser().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above
