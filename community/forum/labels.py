"""Words the forum's pages show for its codes, and the helpers its templates call (template globals, named
``forum_*`` so that no other zone's global can shadow them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from community import i18n
from community.forum.documents import post_url, topic_url
from community.forum.services.common import BODY_MAX
from community.i18n import N_

if TYPE_CHECKING:
    from community.forum.models import Category

KIND_LABELS = {
    "article": N_("Article"),
    "question": N_("Question"),
    "code": N_("Code share"),
    "discussion": N_("Discussion"),
}
FLAG_LABELS = {
    "spam": N_("Spam"),
    "off_topic": N_("Off-topic"),
    "inappropriate": N_("Inappropriate"),
    "other": N_("Something else"),
}
TOOL_KIND_LABELS = {"framework": N_("Framework"), "model": N_("Open model"), "agent": N_("Agent tool")}


def category_name(category: Category) -> str:
    return category.name_zh if i18n.current_locale() == "zh_CN" else category.name_en


def kind_label(kind: Any) -> str:
    return i18n.gettext(KIND_LABELS.get(getattr(kind, "value", kind), str(kind)))


# What the topic page says beside each post, translated once per page rather than once per post.
TOPIC_LABELS = {
    "hidden": N_("Hidden after flags: only its author and moderators see it until a moderator reviews it."),
    "pending": N_("Waiting for a moderator's review: only its author and moderators see it."),
    "deleted": N_("Deleted by a moderator."),
    "held": N_(
        "An edit of this post waits for a moderator's review; until then readers see the approved version."
    ),
    "accepted": N_("Accepted answer"),
    "rep": N_("Reputation"),
    "edit": N_("Edit"),
    "flag": N_("Flag"),
    "wiki": N_("wiki"),
    "accept": N_("Accept this answer"),
    "withdraw": N_("Withdraw acceptance"),
    "hide": N_("Hide"),
    "restore": N_("Restore"),
    "useful": N_("Useful"),
    "not_useful": N_("Not useful"),
    "up": N_("Vote up"),
    "down": N_("Vote down"),
    "score": N_("Score"),
}


def topic_labels() -> dict[str, str]:
    return {key: i18n.gettext(text) for key, text in TOPIC_LABELS.items()}


def template_globals() -> dict[str, Any]:
    from community.forum.reader_parts import reader_posts, reply_editor  # they read this module's labels

    return {
        "forum_topic_labels": topic_labels,
        "forum_reader_posts": reader_posts,
        "forum_reply_editor": reply_editor,
        "forum_category_name": category_name,
        "forum_kind_label": kind_label,
        "forum_topic_url": topic_url,
        "forum_post_url": post_url,
        "forum_flag_labels": FLAG_LABELS,
        "forum_tool_kind_labels": TOOL_KIND_LABELS,
        "forum_body_max": BODY_MAX,
    }
