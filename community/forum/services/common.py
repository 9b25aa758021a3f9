"""What the forum's services share: limits, errors, slugs, and words in a recipient's language."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from babel.dates import format_time

from community import i18n
from community.errors import FormError
from community.kernel.clock import SITE_TZ, local

TITLE_MIN = 6
TITLE_MAX = 150
BODY_MIN = 10
BODY_MAX = 50_000
TAGS_MAX = 5
TAG_MAX = 30
PAGE_SIZE = 30
TAG_RE = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff+#.\-]*$")
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)

# (slug, Chinese name, English name, description)
DEFAULT_CATEGORIES: list[tuple[str, str, str, str]] = [
    ("analysis", "技术分析", "Technical analysis", "大模型、AI 编程与智能体的原理、评测与实践分析。"),
    ("qa", "问答", "Q&A", "提出具体问题，得到可采纳的回答。"),
    ("code", "代码协作", "Code collaboration", "代码片段、代码评审与协作开发。"),
    ("open-source", "开源项目", "Open-source projects", "介绍与维护开源项目，寻找贡献者。"),
    ("tools", "工具与模型", "Tools and models", "主流 AI 框架、开源模型与智能体工具的使用经验。"),
    ("meta", "站务", "Site feedback", "关于本社区本身的建议与公告。"),
]


def short_time(value: datetime) -> str:
    """A date and time in Wuhan, the same in both languages (cheap: lists show dozens of them)."""
    return local(value).strftime("%Y-%m-%d %H:%M")


def clock(value: datetime) -> str:
    """A time of day in Wuhan, in the reader's language."""
    return format_time(value, "short", tzinfo=SITE_TZ, locale=i18n.current_locale())


class PostingTooSoon(FormError):
    """A new member's limit: says when they may post again."""

    def __init__(self, field: str, message: str, retry_after: int) -> None:
        super().__init__({field: message})
        self.retry_after = retry_after


def slugify(title: str) -> str:
    """A readable slug: ASCII words and Chinese characters kept, the rest turned into hyphens."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[^\w\u4e00-\u9fff]+", "-", text, flags=re.UNICODE).strip("-_")
    return text[:80].strip("-_") or "topic"


def in_locale(locale: str | None, message: str, **params: Any) -> str:
    """A message in someone else's language (a notification is read by its recipient, not its sender)."""
    translated = i18n.translations(i18n.normalize_locale(locale) or "zh_CN").gettext(message)
    return translated % params if params else translated
