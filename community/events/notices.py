"""What the events zone tells the people registered, worded when read."""

from __future__ import annotations

from community.i18n import N_
from community.notifications.notices import Notice

PROMOTED = Notice("event_promoted", N_("A place freed up: you are now registered for “%(title)s”"))
CHANGED = Notice("event_changed", N_("The time or place of “%(title)s” changed"))
CANCELLED = Notice("event_cancelled", N_("“%(title)s” is cancelled: %(reason)s"))

NOTICES = (PROMOTED, CHANGED, CANCELLED)
