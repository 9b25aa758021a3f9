"""What members send, read into one shape before a service sees it: the forum's forms, the API's topic,
and the filters of a topic list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Self, cast

from community.kernel.models import page_number
from community.web import field

if TYPE_CHECKING:
    from community.forum.schemas import TopicIn

SORTS = ("latest", "top", "unanswered")
PAGE_MAX = 100_000
TRUST_LEVELS = (1, 2, 3, 4)


class FormInput:
    """A form read field by field: each of the dataclass's fields as text (sent twice, the last one)."""

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> Self:
        return cls(**{f.name: field(data, f.name) for f in fields(cast("Any", cls))})

    def as_form(self) -> dict[str, str]:
        """The fields as typed, whole, to send the form back when a rule refuses it."""
        form: dict[str, str] = asdict(cast("Any", self))
        return form


@dataclass(frozen=True)
class TopicInput(FormInput):
    title: str = ""
    body: str = ""
    kind: str = "discussion"
    category: str = ""
    tags: str = ""
    code_language: str = ""
    repo_url: str = ""
    repo_license: str = ""
    tools: str = ""  # "langchain@0.3, qwen2.5"

    @classmethod
    def from_api(cls, data: TopicIn) -> TopicInput:
        """The JSON API's topic: the same rules as the form (its tags come as a list)."""
        return cls(
            title=data.title,
            body=data.body,
            kind=data.kind,
            category=data.category,
            tags=", ".join(data.tags),
            code_language=data.code_language,
            repo_url=data.repo_url,
            repo_license=data.repo_license,
        )


@dataclass(frozen=True)
class ToolInput(FormInput):
    """A suggested entry of the tool directory."""

    name: str = ""
    slug: str = ""
    kind: str = ""
    homepage: str = ""
    license: str = ""
    description: str = ""
    tags: str = ""  # comma-separated


@dataclass(frozen=True)
class CategoryInput(FormInput):
    """An admin's new or changed category (found by its web name)."""

    slug: str = ""
    name_zh: str = ""
    name_en: str = ""
    description: str = ""
    position: str = ""


def thresholds_of(data: Mapping[str, Any]) -> dict[int, tuple[str, str, str]]:
    """The trust-levels form: for each level, what it needs in posts, reputation and days, as typed."""
    return {
        level: (
            field(data, f"l{level}_posts"),
            field(data, f"l{level}_reputation"),
            field(data, f"l{level}_days"),
        )
        for level in TRUST_LEVELS
    }


@dataclass(frozen=True)
class TopicFilters:
    """How a topic list is ordered, and which page of it."""

    sort: str = "latest"
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> TopicFilters:
        """An unknown order is dropped rather than refused: a stale link still shows a list."""
        sort = values.get("sort")
        return cls(
            sort=sort if sort in SORTS else "latest",
            page=page_number(values.get("page") or 1, maximum=PAGE_MAX),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {"sort": self.sort, "page": self.page if self.page > 1 else None}
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}
