"""Markdown written by members, in every zone, to safe HTML: markdown-it-py for the syntax, Pygments for
fenced code (CSS classes, no inline styles, so the site's Content-Security-Policy holds), @mentions as
links, then nh3 over everything.

Whatever a member writes renders inert: no script, no event handler, no ``javascript:`` or ``data:`` URL,
no style; every link gets ``rel="nofollow ugc noopener"``. Cleaning what members type (bidirectional
overrides, control characters) is ``community.kernel.text``'s: ``clean_body`` and ``clean_line``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# The one text cleaner lives in the kernel; its names stay importable from here for the zones that use them.
from community.kernel.text import BIDI_CONTROLS, INVISIBLE, clean_body, clean_line

MENTION_RE = re.compile(r"(?<![\w@/])@([\w\u4e00-\u9fff][\w\u4e00-\u9fff.\-]{0,48})", re.UNICODE)
# A handle (``accounts.services.handles``): ASCII letters, digits, _ and -.
HANDLE_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
MAX_MENTIONS = 10

__all__ = (
    "BIDI_CONTROLS",
    "INVISIBLE",
    "Rendered",
    "clean_body",
    "clean_line",
    "count_links",
    "markdown_html",
    "mention_names",
    "pygments_css",
    "render_markdown",
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title"},
    "span": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow ugc noopener",
    strip_comments=True,
)
_formatter = HtmlFormatter(cssclass="highlight", nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang.strip().split()[0]) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return f"<pre><code>{html.escape(code)}</code></pre>"
    name = html.escape(lexer.aliases[0] if lexer.aliases else lang)
    body = highlight(code, lexer, _formatter)
    return f'<pre class="highlight"><code class="language-{name}">{body}</code></pre>'


@dataclass
class Rendered:
    html: str
    mentions: list[str] = field(default_factory=list)
    links: int = 0
    text: str = ""


def _mention_candidates(written: str) -> list[str]:
    """Who ``@written`` may name: the whole of it (a display name, as mentions were first written), then
    the handle it starts with ("@li_wei你好" names li_wei, as Chinese text needs no space after it)."""
    whole = written.rstrip(".-")
    handle = HANDLE_PREFIX_RE.match(written)
    prefix = handle.group(0).rstrip(".-_") if handle else ""
    return [whole] + ([prefix] if prefix and prefix != whole else [])


def _mention_rule(resolve: Callable[[str], str | None], found: list[str]) -> Callable[[StateCore], None]:
    def rule(state: StateCore) -> None:
        for block in state.tokens:
            if block.type != "inline" or not block.children:
                continue
            children: list[Token] = []
            in_link = 0
            for token in block.children:
                if token.type == "link_open":
                    in_link += 1
                elif token.type == "link_close":
                    in_link -= 1
                if token.type != "text" or in_link or "@" not in token.content:
                    children.append(token)
                    continue
                pos = 0
                for match in MENTION_RE.finditer(token.content):
                    name, url = "", None
                    if len(found) < MAX_MENTIONS:
                        for name in _mention_candidates(match.group(1)):
                            url = resolve(name)
                            if url is not None:
                                break
                    if url is None:
                        continue
                    found.append(name)
                    before = Token("text", "", 0, content=token.content[pos : match.start()])
                    link = Token("link_open", "a", 1, attrs={"href": url, "class": "mention"})
                    label = Token("text", "", 0, content="@" + name)
                    close = Token("link_close", "a", -1)
                    children.extend([before, link, label, close])
                    pos = match.start() + 1 + len(name)
                children.append(Token("text", "", 0, content=token.content[pos:]))
            block.children = children

    return rule


def render_markdown(source: str, resolve_mention: Callable[[str], str | None] | None = None) -> Rendered:
    """Render a member's markdown to sanitized HTML; also say who was mentioned and how many links."""
    found: list[str] = []
    md = MarkdownIt("commonmark", {"highlight": _highlight, "linkify": False, "html": False}).enable(
        ["table", "strikethrough"]
    )
    if resolve_mention is not None:
        md.core.ruler.push("mentions", _mention_rule(resolve_mention, found))
    raw = md.render(source)
    safe = _cleaner.clean(raw)
    links = len(re.findall(r"<a\s[^>]*href=\"(?:https?:|mailto:)", safe))
    text = " ".join(nh3.clean(safe, tags=set()).split())
    return Rendered(html=safe, mentions=found, links=links, text=html.unescape(text))


def mention_names(source: str) -> list[str]:
    """The names written as @name outside code, in order, each once (with the handle each starts with)."""
    names: list[str] = []
    render_markdown(source, lambda name: names.append(name) or None)  # type: ignore[func-returns-value]
    return list(dict.fromkeys(names))


def count_links(source: str) -> int:
    """Web addresses a post carries, as links, images or bare text (what a spammer would add)."""
    return len(re.findall(r"(?i)\bhttps?://", source))


def pygments_css() -> str:
    return str(HtmlFormatter(cssclass="highlight").get_style_defs(".highlight"))


def markdown_html(source: str) -> Markup:
    """A member's markdown as sanitized HTML, ready for a template (no mentions resolved)."""
    return Markup(render_markdown(source).html)  # noqa: S704 - sanitized by nh3 in render_markdown
