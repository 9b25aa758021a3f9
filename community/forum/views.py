"""What the forum's pages show, made ready by the services: rows of a topic list, a topic's page, the
moderators' queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from community.forum.models import Category, HeldEdit, Post, Tag, Tool, Topic

if TYPE_CHECKING:
    from community.forum.inputs import TopicFilters


@dataclass
class TopicRow:
    topic: Topic
    author: str
    category: Category
    tags: list[str] = field(default_factory=list)
    # Ready for the page: a list of 30 rows renders without calling back into Python for each one.
    url: str = ""
    tag_links: list[tuple[str, str]] = field(default_factory=list)
    when: str = ""
    has_tools: bool = True  # tested with tools (topic_row says; then the topic page reads them)


@dataclass
class PostView:
    post: Post
    author: str
    reputation: int
    trust_level: int
    my_vote: int = 0
    when: str = ""
    held_edit: bool = False  # an edit of it waits for review (shown to its author and moderators)


@dataclass
class TopicPage:
    topic: Topic
    category: Category
    author: str
    tags: list[str]
    tools: list[tuple[Tool, str]]
    opening: PostView | None
    posts: list[PostView]
    page: int
    pages: int
    # What the reader may do here, and what they had begun to write.
    is_moderator: bool = False
    level: int = -1
    watching: bool = False
    draft: str | None = None
    # The reader's votes in the whole topic (post id -> +1/-1), and whether the posts they see are the ones
    # every reader sees (then the page takes them from a shared fragment and adds only the reader's parts).
    my_votes: dict[int, int] = field(default_factory=dict)
    public: bool = False


@dataclass
class TopicListing:
    """A page of topics: all of them, a category's or a tag's, and what the reader follows there."""

    rows: list[TopicRow]
    more: bool
    filters: TopicFilters
    categories: list[Category]
    category: Category | None = None
    tag: Tag | None = None
    watching: bool = False
    subscribed: bool = False  # to the tag's weekly email
    popular_tags: list[Tag] = field(default_factory=list)


@dataclass
class QueueItem:
    post: Post
    topic: Topic
    author: str
    flags: list[tuple[str, str, str]]  # (reason, note, by)
    held_edit: HeldEdit | None = None  # an edit waiting for review: readers see ``post`` until it is approved
