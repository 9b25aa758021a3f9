"""What machines read: Atom feeds, schema.org JSON-LD, meta descriptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from community.forum.documents import topic_url
from community.kernel.exports import AtomEntry, atom_feed

if TYPE_CHECKING:
    from community.forum.views import TopicPage, TopicRow


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def topics_feed(
    title: str, self_url: str, page_url: str, rows: list[TopicRow], *, base_url: str, site_name: str
) -> bytes:
    """An Atom 1.0 feed of topics, newest activity first: each with its category (slug, Chinese name) and
    tags as categories, and its excerpt as the summary."""
    root = base_url.rstrip("/")
    entries = [
        AtomEntry(
            id=f"{root}/forum/t/{row.topic.id}",
            title=row.topic.title,
            updated=row.topic.last_posted_at,
            published=row.topic.created_at,
            url=root + topic_url(row.topic.id, row.topic.slug),
            author=row.author,
            categories=[(row.category.slug, row.category.name_zh), *((tag, "") for tag in row.tags)],
            summary=row.topic.excerpt,
        )
        for row in rows
    ]
    return atom_feed(
        feed_id=root + self_url,
        title=title,
        self_url=root + self_url,
        page_url=root + page_url,
        updated=max((r.topic.last_posted_at for r in rows), default=datetime(1970, 1, 1, tzinfo=UTC)),
        entries=entries,
        author=site_name,
    )


def _person(name: str, user_id: Any, root: str) -> dict[str, Any]:
    return {"@type": "Person", "name": name, "url": f"{root}/forum/u/{user_id}"}


def json_ld(page: TopicPage, base_url: str) -> str:
    """schema.org QAPage for a question, DiscussionForumPosting for any other topic; safe in <script>."""
    root = base_url.rstrip("/")
    topic = page.topic
    url = root + topic_url(topic.id, topic.slug)
    text = page.opening.post.body_md if page.opening else topic.excerpt
    author = _person(page.author, topic.author_id, root)
    data: dict[str, Any]
    if topic.kind.value == "question":
        answers = [
            {
                "@type": "Answer",
                "text": view.post.body_md[:5000],
                "dateCreated": _iso(view.post.created_at),
                "upvoteCount": view.post.score,
                "url": f"{url}#p{view.post.id}",
                "author": _person(view.author, view.post.author_id, root),
            }
            for view in page.posts
            if view.post.visibility.value == "visible"
        ]
        question: dict[str, Any] = {
            "@type": "Question",
            "name": topic.title,
            "text": text[:5000],
            "answerCount": topic.reply_count,
            "upvoteCount": topic.score,
            "dateCreated": _iso(topic.created_at),
            "author": author,
        }
        accepted = [
            a for a, v in zip(answers, page.posts, strict=False) if v.post.id == topic.accepted_post_id
        ]
        if accepted:
            question["acceptedAnswer"] = accepted[0]
        others = [a for a in answers if a not in accepted]
        if others:
            question["suggestedAnswer"] = others
        data = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": question}
    else:
        data = {
            "@context": "https://schema.org",
            "@type": "DiscussionForumPosting",
            "headline": topic.title,
            "text": text[:5000],
            "url": url,
            "datePublished": _iso(topic.created_at),
            "author": author,
            "interactionStatistic": {
                "@type": "InteractionCounter",
                "interactionType": "https://schema.org/CommentAction",
                "userInteractionCount": topic.reply_count,
            },
            "comment": [
                {
                    "@type": "Comment",
                    "text": view.post.body_md[:2000],
                    "datePublished": _iso(view.post.created_at),
                    "author": _person(view.author, view.post.author_id, root),
                }
                for view in page.posts[:20]
                if view.post.visibility.value == "visible"
            ],
        }
    # "</script>" or "<!--" in a post must not end the script element: escape < > & as JSON \u escapes.
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def meta_description(text: str, limit: int = 155) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
