"""What goes into the search index and what comes out of it, the same for every backend."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

FACET_FIELDS = ("doc_type", "domains", "district", "tags", "status")


@dataclass(frozen=True)
class SearchDocument:
    """One searchable thing of a zone: a post, a scenario, a product, an organization..."""

    doc_type: str
    doc_id: str
    title: str
    body: str
    url: str
    domains: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    district: str | None = None
    status: str | None = None
    published_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uid(self) -> str:
        return f"{self.doc_type}-{self.doc_id}"

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SearchDocument:
        values = dict(data)
        if values.get("published_at"):
            values["published_at"] = datetime.fromisoformat(values["published_at"])
        return cls(**values)


@dataclass(frozen=True)
class SearchQuery:
    q: str
    types: tuple[str, ...] = ()
    domain: str | None = None
    district: str | None = None
    tag: str | None = None
    status: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SearchHit:
    doc_type: str
    doc_id: str
    url: str
    title_html: str
    snippet_html: str
    score: float
    published_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResults:
    query: SearchQuery
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    total_is_lower_bound: bool = False
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # Some words of the query matched nothing; these results match part of it.
    partial: bool = False
    # The search engine could not be reached; the message says so.
    degraded: bool = False
    message: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))
