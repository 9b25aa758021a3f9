"""CSV and XLSX downloads of a published list issue, made from its snapshots only.

The header row is in the reader's language, codes become their words (类型, 规模, 状态, 成熟度), budgets read
like 10万–50万元 (¥100,000–¥500,000 in English), domains and districts are named in the reader's language.
CSV is UTF-8 with a byte order mark so that Excel opens Chinese text correctly; cells that a spreadsheet
would take for a formula are neutralised in both formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from community.i18n import _, ngettext
from community.kernel import exports
from community.scenarios.labels import issue_title, label
from community.scenarios.models import ListKind
from community.scenarios.services.list_views import CapabilityView, ScenarioView, item_views
from community.vocabulary import district_label, domain_label

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from community.scenarios.models import ListIssue
    from community.scenarios.services.list_views import IssueSummary


def headers(kind: ListKind) -> list[str]:
    if kind is ListKind.SCENARIOS:
        return [
            _("No."),
            _("Title"),
            _("Kind"),
            _("Scale"),
            _("Domains"),
            _("District"),
            _("Abstract"),
            _("Budget"),
            _("Deadline"),
            _("Published by"),
            _("Status when listed"),
            _("Link"),
        ]
    return [
        _("No."),
        _("Organization"),
        _("District"),
        _("Team size"),
        _("Domains"),
        _("Summary"),
        _("Capabilities"),
        _("Verified on"),
        _("Link"),
    ]


def rows(issue: ListIssue, base_url: str) -> list[list[str]]:
    """One row of text per item, in the issue's order; links are absolute."""
    base = base_url.rstrip("/")
    result: list[list[str]] = []
    for view in item_views(issue.list_kind, issue.items):
        link = base + view.url if view.url.startswith("/") else view.url
        if isinstance(view, ScenarioView):
            result.append(
                [
                    str(view.position),
                    view.title,
                    view.kind_label,
                    view.scale_label,
                    domain_label.join(view.domains),
                    district_label(view.district),
                    view.abstract,
                    view.budget_text,
                    view.deadline.isoformat() if view.deadline else "",
                    view.organization,
                    view.status_label,
                    link,
                ]
            )
        else:
            assert isinstance(view, CapabilityView)
            result.append(
                [
                    str(view.position),
                    view.organization,
                    district_label(view.district),
                    str(view.team_size) if view.team_size is not None else "",
                    domain_label.join(view.domains),
                    view.summary,
                    "\n".join(
                        f"{domain_label(e.domain)} · {e.technology} · {e.maturity_label}" for e in view.items
                    ),
                    view.verified_at.date().isoformat() if view.verified_at else "",
                    link,
                ]
            )
    return result


def to_csv(issue: ListIssue, base_url: str) -> bytes:
    return exports.to_csv(headers(issue.list_kind), rows(issue, base_url))


def _column_widths(kind: ListKind) -> list[int]:
    if kind is ListKind.SCENARIOS:
        return [6, 36, 14, 18, 20, 16, 60, 18, 12, 28, 10, 40]
    return [6, 28, 16, 10, 20, 60, 50, 12, 40]


def to_xlsx(issue: ListIssue, base_url: str) -> bytes:
    """One sheet named after the issue (第3期场景机会清单), the header row frozen."""
    return exports.to_xlsx(
        headers(issue.list_kind),
        rows(issue, base_url),
        title=issue_title(issue.list_kind, issue.number),
        widths=_column_widths(issue.list_kind),
    )


def download_name(issue: ListIssue, extension: str) -> tuple[str, str]:
    """第3期场景机会清单.xlsx in the reader's language, and scenarios-issue-3.xlsx for old clients."""
    return exports.download_name(
        issue_title(issue.list_kind, issue.number), extension, f"{issue.list_kind.value}-issue-{issue.number}"
    )


def atom_feed(
    kind: ListKind, issues: Sequence[IssueSummary], *, base_url: str, site_name: str, updated: datetime
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of a list's published issues, newest first; each entry's enclosure is
    the issue's workbook."""
    list_url = f"{base_url.rstrip('/')}/lists/{kind.value}"
    entries = []
    for summary in issues:
        issue = summary.issue
        if issue.number is None or issue.published_at is None:
            continue
        url = f"{list_url}/{issue.number}"
        title = issue_title(kind, issue.number)
        count = ngettext("%(num)s item", "%(num)s items", summary.item_count) % {"num": summary.item_count}
        entries.append(
            exports.AtomEntry(
                id=url,
                title=f"{title}: {issue.title}" if issue.title else title,
                updated=issue.published_at,
                published=issue.published_at,
                url=url,
                summary=f"{count}\n\n{issue.introduction}" if issue.introduction else count,
                enclosures=(exports.AtomLink(f"{url}.xlsx", rel="enclosure", type=exports.XLSX_MEDIA_TYPE),),
            )
        )
    return exports.atom_feed(
        feed_id=list_url,
        title=f"{label(kind)} · {site_name}",
        self_url=f"{list_url}/feed.atom",
        page_url=list_url,
        updated=updated,
        entries=entries,
        author=site_name,
    )
