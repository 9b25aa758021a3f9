"""What people type in the event zone, read into one shape each: the event form (and the API's twin of it),
date-times in Wuhan's time zone, and the list's filters.

``EventInput.parse`` checks everything that needs no database and raises ``FormError`` with a message beside
each field it refuses; the services check the rest (the organizer, the capacity against registrations).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from community.accounts.models import OrgType
from community.errors import FormError
from community.events.models import Audience, EventKind
from community.i18n import _
from community.kernel.clock import SITE_TZ, now
from community.kernel.models import page_number
from community.kernel.text import clean_body, clean_line
from community.vocabulary import DISTRICTS
from community.web.forms import field as form_field
from community.web.forms import many

if TYPE_CHECKING:
    from community.events.models import Event

URL_RE = re.compile(r"^https?://[^\s<>\"']{1,490}$", re.IGNORECASE)
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
MODES = ("online", "onsite")
MAX_CAPACITY = 100_000
MAX_DURATION = timedelta(days=60)
TITLE_MAX = 120
SUMMARY_MAX = 300
DESCRIPTION_MAX = 20_000
ADDRESS_MAX = 200
REASON_MAX = 1000


def local_input(value: datetime | None) -> str:
    """A stored time as the form's datetime-local value, in Wuhan's time."""
    return value.astimezone(SITE_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def parse_local(raw: str, errors: dict[str, str], name: str, *, required: bool = True) -> datetime | None:
    """A date-time typed in Wuhan's time zone (the browser's datetime-local format), stored in UTC."""
    text = clean_line(raw)
    if not text:
        if required:
            errors[name] = _("Enter a date and time.")
        return None
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SITE_TZ).astimezone(UTC)
        except ValueError:
            continue
    errors[name] = _("Enter a date and time like 2026-12-31T14:00.")
    return None


def cancel_reason(raw: str) -> str:
    """Why an event is cancelled: everyone registered reads it, so it is needed."""
    reason = clean_body(raw)
    if not reason:
        raise FormError({"reason": _("Give a reason; everyone registered reads it.")})
    if len(reason) > REASON_MAX:
        raise FormError({"reason": _("Use at most %(n)s characters.", n=REASON_MAX)})
    return reason


@dataclass(frozen=True)
class EventInput:
    """What a form or the API sent, as text; ``parse`` checks it and says what is wrong beside each field.

    The fields are the form's: ``asdict(EventInput.of(event))`` fills the edit form."""

    organization: str = ""
    kind: str = ""
    title: str = ""
    summary: str = ""
    description: str = ""
    starts_at: str = ""
    ends_at: str = ""
    registration_deadline: str = ""
    mode: str = "onsite"
    address: str = ""
    district: str = ""
    online_url: str = ""
    capacity: str = ""
    audience: str = Audience.EVERYONE.value
    audience_org_types: list[str] = field(default_factory=list)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EventInput:
        def one(name: str) -> str:
            return form_field(data, name)

        return cls(
            organization=one("organization"),
            kind=one("kind"),
            title=one("title"),
            summary=one("summary"),
            description=one("description"),
            starts_at=one("starts_at"),
            ends_at=one("ends_at"),
            registration_deadline=one("registration_deadline"),
            mode=one("mode") or "onsite",
            address=one("address"),
            district=one("district"),
            online_url=one("online_url"),
            capacity=one("capacity"),
            audience=one("audience") or Audience.EVERYONE.value,
            audience_org_types=[
                t for t in dict.fromkeys(clean_line(t) for t in many(data, "audience_org_types")) if t
            ],
        )

    @classmethod
    def of(cls, event: Event) -> EventInput:
        """An event as its edit form shows it."""
        return cls(
            organization=str(event.organization_id),
            kind=event.kind.value,
            title=event.title,
            summary=event.summary,
            description=event.description,
            starts_at=local_input(event.starts_at),
            ends_at=local_input(event.ends_at),
            registration_deadline=local_input(event.registration_deadline),
            mode="online" if event.online else "onsite",
            address=event.address,
            district=event.district or "",
            online_url=event.online_url,
            capacity=str(event.capacity),
            audience=event.audience.value,
            audience_org_types=list(event.audience_org_types),
        )

    def parse(self, *, allow_past: bool = False) -> dict[str, Any]:
        """The values to store; a FormError naming every wrong field otherwise."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        values.update(self._texts(errors))
        values.update(self._times(errors, allow_past=allow_past))
        values.update(self._place(errors))
        values.update(self._places_and_audience(errors))
        if errors:
            raise FormError(errors)
        return values

    def _texts(self, errors: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        try:
            values["kind"] = EventKind(self.kind)
        except ValueError:
            errors["kind"] = _("Choose the kind of event.")
        title = clean_line(self.title)
        if not title:
            errors["title"] = _("Enter a title.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Use at most %(n)s characters.", n=TITLE_MAX)
        summary = clean_line(self.summary)
        if not summary:
            errors["summary"] = _("Say in a sentence what the event is and who it is for.")
        elif len(summary) > SUMMARY_MAX:
            errors["summary"] = _("Use at most %(n)s characters.", n=SUMMARY_MAX)
        description = clean_body(self.description)
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = _("Use at most %(n)s characters.", n=DESCRIPTION_MAX)
        return {**values, "title": title, "summary": summary, "description": description}

    def _times(self, errors: dict[str, str], *, allow_past: bool) -> dict[str, Any]:
        starts = parse_local(self.starts_at, errors, "starts_at")
        ends = parse_local(self.ends_at, errors, "ends_at")
        deadline = parse_local(self.registration_deadline, errors, "registration_deadline", required=False)
        if starts and not allow_past and starts <= now():
            errors["starts_at"] = _("The event must start in the future.")
        if starts and ends:
            if ends <= starts:
                errors["ends_at"] = _("The end must come after the start.")
            elif ends - starts > MAX_DURATION:
                errors["ends_at"] = _("An event may last at most %(n)s days.", n=MAX_DURATION.days)
        if deadline and starts and deadline > starts:
            errors["registration_deadline"] = _("Registration must close by the time the event starts.")
        return {"starts_at": starts, "ends_at": ends, "registration_deadline": deadline or starts}

    def _place(self, errors: dict[str, str]) -> dict[str, Any]:
        online = self.mode == "online"
        if self.mode not in MODES:
            errors["mode"] = _("Choose on site or online.")
        address = clean_line(self.address)
        district = clean_line(self.district)
        online_url = clean_line(self.online_url)
        if online:
            if not online_url:
                errors["online_url"] = _("Enter the link people use to join.")
            elif not URL_RE.match(online_url):
                errors["online_url"] = _("Enter a web address starting with http:// or https://.")
        elif not address:
            errors["address"] = _("Enter the address of the venue.")
        elif len(address) > ADDRESS_MAX:
            errors["address"] = _("Use at most %(n)s characters.", n=ADDRESS_MAX)
        if district and district not in DISTRICTS:
            errors["district"] = _("Choose a district from the list.")
        return {
            "online": online,
            "address": "" if online else address,
            "district": district or None,
            "online_url": online_url if online else "",
        }

    def _places_and_audience(self, errors: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        capacity_text = clean_line(self.capacity)
        if not capacity_text.isdigit() or not 1 <= int(capacity_text) <= MAX_CAPACITY:
            errors["capacity"] = _("Enter a whole number of places from 1 to %(n)s.", n=MAX_CAPACITY)
        else:
            values["capacity"] = int(capacity_text)
        try:
            audience = Audience(self.audience)
        except ValueError:
            audience = Audience.EVERYONE
            errors["audience"] = _("Choose who may register.")
        org_types: list[str] = []
        if audience is Audience.ORG_TYPES:
            valid = {t.value for t in OrgType}
            org_types = [t for t in self.audience_org_types if t in valid]
            if not org_types or len(org_types) != len(self.audience_org_types):
                errors["audience_org_types"] = _("Choose the organization types whose members may register.")
        return {**values, "audience": audience, "audience_org_types": org_types}


@dataclass(frozen=True)
class EventFilters:
    """The list's filters. Unknown codes are dropped rather than refused: a stale link still shows a list."""

    kind: str | None = None
    district: str | None = None
    mode: str | None = None  # "online" | "onsite"
    audience: str | None = None
    when: str = "upcoming"  # "upcoming" | "past"
    page: int = 1

    @classmethod
    def clean(cls, **values: Any) -> EventFilters:
        def known(name: str, codes: Any) -> str | None:
            value = values.get(name)
            return value if value in codes else None

        return cls(
            kind=known("kind", {k.value for k in EventKind}),
            district=known("district", DISTRICTS),
            mode=known("mode", MODES),
            audience=known("audience", {a.value for a in Audience}),
            when="past" if values.get("when") == "past" else "upcoming",
            page=page_number(values.get("page")),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "kind": self.kind,
            "district": self.district,
            "mode": self.mode,
            "audience": self.audience,
            "when": self.when if self.when != "upcoming" else None,
            "page": self.page if self.page != 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}
