"""A reader's parts of a shared topic page, put in with one Python pass.

The posts of a topic are a shared fragment (``forum/_topic_posts.html`` rendered with a ``mark``): every
place a reader's part goes is a comment carrying the fragment's own random mark and what that place needs
to know (the post, its score, its author, wiki, opening). For a member, each place becomes their vote form
and the links and buttons their rights allow — the same HTML as the macros of ``forum/_topic_mine.html``
(which the page rendered for one reader still uses), written here because calling two Jinja macros for each
of a hundred places cost more than the rest of the page together. For a visitor the fragment is served as
it is (its places already hold what a visitor sees).

Everything a reader or a post's author typed is escaped (``markupsafe.escape``); labels are escaped once per
page. Only a member's page comes here; moderators get the whole page rendered for them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from community.forum.labels import topic_labels

# The fragment begins with its mark, then the JSON-LD it carries, then the mark again, then the posts.
_MARK = re.compile(r"\s*<!--([0-9a-f]{32})-->")


@lru_cache(maxsize=64)
def _places(mark: str) -> re.Pattern[str]:
    """The places of a fragment with this mark: a vote place (with the visitor's score between its two
    comments) or an actions place."""
    return re.compile(
        rf"<!--{mark} v (\d+) (-?\d+) ([0-9a-f-]{{36}})-->.*?<!--{mark} /v-->"
        rf"|<!--{mark} a (\d+) ([0-9a-f-]{{36}}) ([01]) ([01])-->",
        re.S,
    )


def split_head(fragment: str) -> tuple[str, Markup, str]:
    """(mark, JSON-LD, posts' HTML) of a shared topic fragment."""
    opening = _MARK.match(fragment)
    closing = -1 if opening is None else fragment.find(opening.group(0).strip(), opening.end())
    if opening is None or closing < 0:  # not a fragment of forum/_topic_posts.html
        raise ValueError("the shared topic fragment has no mark")
    mark = opening.group(1)
    json_ld = Markup(fragment[opening.end() : closing])  # noqa: S704 (autoescaped)
    return mark, json_ld, fragment[closing + len(mark) + 7 :]


def reader_posts(
    mark: str, body: str, *, user: Any, my_votes: dict[int, int], level: int, topic: Any, csrf_input: str
) -> Markup:
    """The shared posts with this member's parts at the fragment's places."""
    label = {key: str(escape(text)) for key, text in topic_labels().items()}
    me = str(user.id)
    csrf = str(csrf_input)
    score_label = label["score"]
    accepts = topic.kind.value == "question" and user.id == topic.author_id
    accepted_id = topic.accepted_post_id

    def vote(post_id: str, score: str, author: str) -> str:
        if author == me:
            return f'<span class="score" aria-label="{score_label}">{score}</span>'
        mine = my_votes.get(int(post_id), 0)
        up_on, down_on = mine == 1, mine == -1
        return (
            f'<form method="post" action="/forum/p/{post_id}/vote" hx-post="/forum/p/{post_id}/vote"'
            f' hx-target="#votes-{post_id}" hx-swap="outerHTML">{csrf}\n'
            f'      <button type="submit" name="vote" value="{"none" if up_on else "up"}"'
            f' class="vote up{" on" if up_on else ""}" aria-pressed="{"true" if up_on else "false"}"'
            f' title="{label["useful"]}">▲<span class="visually-hidden">{label["up"]}</span></button>\n'
            f'      <span class="score" aria-label="{score_label}">{score}</span>\n'
            f'      <button type="submit" name="vote" value="{"none" if down_on else "down"}"'
            f' class="vote down{" on" if down_on else ""}" aria-pressed="{"true" if down_on else "false"}"'
            f' title="{label["not_useful"]}">▼<span class="visually-hidden">{label["down"]}</span></button>\n'
            "    </form>"
        )

    def actions(post_id: str, author: str, wiki: bool, opening: bool) -> str:
        mine = author == me
        out = []
        if mine or (wiki and level >= 3):
            out.append(f' · <a href="/forum/p/{post_id}/edit">{label["edit"]}</a>')
        if not mine:
            out.append(f' · <a href="/forum/p/{post_id}/flag">{label["flag"]}</a>')
        if accepts and not opening:
            text = label["withdraw"] if int(post_id) == accepted_id else label["accept"]
            out.append(
                f'\n          <form method="post" action="/forum/p/{post_id}/accept" class="inline">{csrf}\n'
                f'            <button type="submit" class="button small accept">{text}</button></form>'
            )
        return "".join(out)

    def place(found: re.Match[str]) -> str:
        if found.group(1) is not None:
            return vote(found.group(1), found.group(2), found.group(3))
        return actions(found.group(4), found.group(5), found.group(6) == "1", found.group(7) == "1")

    # The fragment was rendered by the autoescaping environment; what goes in is escaped above.
    return Markup(_places(mark).sub(place, body))  # noqa: S704
