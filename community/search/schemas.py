"""What goes into the search index and what comes out of it, the same for every backend."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from community.kernel.models import page_number
from community.kernel.text import clean_line

FACET_FIELDS = ("doc_type", "domains", "district", "tags", "status")
QUERY_MAX = 1000  # a longer search is cut: its beginning is what counts
FILTER_MAX = 100
MAX_PAGE = 50  # deeper than this, people refine the query instead

# doc_type -> label, shown as the type filter of the search page. Zones add theirs as they land
# (``community.search.services.register_type``).
DOC_TYPES: dict[str, str] = {}


@dataclass(frozen=True)
class SearchDocument:
    """One searchable thing of a zone: a post, a scenario, a product, an organization...

    ``title`` is searched (and weighs most); a document that is part of another (a forum reply) may leave it
    empty and name what it belongs to in ``extra["heading"]``, which its hits show as their title but which
    is not searched."""

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


def shown_title(title: str, extra: dict[str, Any] | None) -> str:
    """What a hit is titled: the document's title, or its heading when it has none (see SearchDocument)."""
    return title or str((extra or {}).get("heading") or "")


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

    @classmethod
    def clean(cls, **values: Any) -> SearchQuery:
        """What a visitor asked for, as every backend can take it: an unknown ``type`` is dropped; text has no
        control characters (PostgreSQL refuses NUL) and a bounded length; empty means not given."""

        def text(name: str, limit: int = FILTER_MAX) -> str | None:
            return clean_line(values.get(name))[:limit].strip() or None

        doc_type = values.get("type")
        return cls(
            q=text("q", QUERY_MAX) or "",
            types=(doc_type,) if doc_type in DOC_TYPES else (),
            domain=text("domain"),
            district=text("district"),
            tag=text("tag"),
            status=text("status"),
            page=page_number(values.get("page"), maximum=MAX_PAGE),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "q": self.q,
            "type": self.types[0] if self.types else None,
            "domain": self.domain,
            "district": self.district,
            "tag": self.tag,
            "status": self.status,
            "page": self.page,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}

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
