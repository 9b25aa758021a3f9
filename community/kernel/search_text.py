"""The one search-text preparer: what every zone hands the search index as a document's body.

Members write markdown. The index should see the words a reader sees, not the syntax around them: link
targets, image addresses, HTML and code fences are noise that ranks wrongly. So the text is rendered as the
page renders it, scrubbed to plain text, its whitespace collapsed, and cut at one limit for every kind of
document (a very long body is indexed by its beginning).
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

SEARCH_TEXT_MAX = 20_000

# CommonMark without highlighting or mentions: only the text matters here, not how it looks.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
_strip_all = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|pre|blockquote|tr|td|th)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u3000]+")
_LINES = re.compile(r"\s*\n\s*")


def markdown_to_text(source: str | None) -> str:
    """What a reader sees of ``source``: rendered markdown without tags, paragraphs on lines of their own."""
    if not source:
        return ""
    rendered = _markdown.render(source)
    rendered = _BLOCK_END.sub(lambda m: m.group(0) + "\n", rendered)
    text = html.unescape(_strip_all.clean(rendered))
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()


def search_text(*parts: str | None, limit: int = SEARCH_TEXT_MAX) -> str:
    """The body of a search document: each part (markdown or plain text) scrubbed, joined by lines, cut at
    ``limit`` characters."""
    text = "\n".join(piece for piece in (markdown_to_text(part) for part in parts) if piece)
    return text[:limit]
