"""What the forum tells people ({title}: the topic's), worded in each reader's language when read."""

from __future__ import annotations

from community.i18n import N_
from community.notifications.notices import Notice

MENTION = Notice("forum.mention", N_("%(title)s: you were mentioned"))
WATCHED_TOPIC = Notice("forum.watched", N_("New topic where you watch: %(title)s"))
ANSWER = Notice("forum.answer", N_("New answer to your question: %(title)s"))
REPLY = Notice("forum.reply", N_("New reply to your topic: %(title)s"))
WATCHED_REPLY = Notice("forum.watched_reply", N_("New post in a topic you watch: %(title)s"))
VOTE = Notice("forum.vote", N_("Someone voted up your post in: %(title)s"))
ACCEPTED = Notice("forum.accepted", N_("Your answer was accepted: %(title)s"))

NOTICES = (MENTION, WATCHED_TOPIC, ANSWER, REPLY, WATCHED_REPLY, VOTE, ACCEPTED)
