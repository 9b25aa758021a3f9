"""A reader's parts of a shared topic page, put in with one Python pass.

The posts of a topic are a shared fragment (``forum/_topic_posts.html`` rendered with a ``mark``): every
place a reader's part goes is a comment carrying the fragment's own random mark and what that place needs
to know (the post, its score, its author, wiki, opening). For a member, each place becomes their vote form
and the links and buttons their rights allow — the same HTML as the macros of ``forum/_topic_mine.html``
(which the page rendered for one reader still uses), written here because calling two Jinja macros for each
of a hundred places cost more than the rest of the page together. For a visitor the fragment is served as
it is (its places already hold what a visitor sees).

A fragment is cut at its places once per process and language (``SharedPosts``, kept by its mark: a mark is
one rendering's, so the same mark is the same text): what a place holds for any reader (a vote form in its
three states, with the reader's CSRF field left out) is written then; a request only picks the state and
puts in its CSRF field and buttons. Cutting the fragment (a regular expression over some 100 KB) on every
request was a tenth of a member's topic page.

Everything a reader or a post's author typed is escaped (``markupsafe.escape``); labels are escaped once per
fragment. Only a member's page comes here; moderators get the whole page rendered for them.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from community import i18n
from community.forum.labels import topic_labels

# The fragment begins with its mark, then the JSON-LD it carries, then the mark again, then the posts.
_MARK = re.compile(r"\s*<!--([0-9a-f]{32})-->")
KEPT = 32  # fragments kept cut, per process: the topics' pages being read now


def _places(mark: str) -> re.Pattern[str]:
    """The places of a fragment with this mark: a vote place (with the visitor's score between its two
    comments) or an actions place."""
    return re.compile(
        rf"<!--{mark} v (\d+) (-?\d+) ([0-9a-f-]{{36}})-->.*?<!--{mark} /v-->"
        rf"|<!--{mark} a (\d+) ([0-9a-f-]{{36}}) ([01]) ([01])-->",
        re.S,
    )


@dataclass(frozen=True, slots=True)
class VotePlace:
    """A post's vote place: its author's id, the score alone (for its author), and its vote form for any
    other member cut around their CSRF field, by their vote (0, 1, -1)."""

    author: str
    post: int
    own: str
    forms: dict[int, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class ActionsPlace:
    """A post's actions place: what the member's links and buttons there depend on."""

    author: str
    post: int
    wiki: bool
    opening: bool


@dataclass(frozen=True, slots=True)
class SharedPosts:
    """A shared topic fragment cut at its places: ``texts`` around ``places`` (one text more than places)."""

    mark: str
    json_ld: Markup
    body: str
    texts: tuple[str, ...]
    places: tuple[VotePlace | ActionsPlace, ...]
    labels: dict[str, str]

    @property
    def html(self) -> Markup:
        """The posts as a visitor sees them."""
        return Markup(self.body)  # noqa: S704 (the autoescaped fragment)


_kept: OrderedDict[tuple[str, str], SharedPosts] = OrderedDict()


def _vote_place(post_id: str, score: str, author: str, label: dict[str, str]) -> VotePlace:
    score_label = label["score"]

    def form(mine: int) -> tuple[str, str]:
        up_on, down_on = mine == 1, mine == -1
        return (
            f'<form method="post" action="/forum/p/{post_id}/vote" hx-post="/forum/p/{post_id}/vote"'
            f' hx-target="#votes-{post_id}" hx-swap="outerHTML">',
            "\n"
            f'      <button type="submit" name="vote" value="{"none" if up_on else "up"}"'
            f' class="vote up{" on" if up_on else ""}" aria-pressed="{"true" if up_on else "false"}"'
            f' title="{label["useful"]}">▲<span class="visually-hidden">{label["up"]}</span></button>\n'
            f'      <span class="score" aria-label="{score_label}">{score}</span>\n'
            f'      <button type="submit" name="vote" value="{"none" if down_on else "down"}"'
            f' class="vote down{" on" if down_on else ""}" aria-pressed="{"true" if down_on else "false"}"'
            f' title="{label["not_useful"]}">▼<span class="visually-hidden">{label["down"]}</span></button>\n'
            "    </form>",
        )

    return VotePlace(
        author=author,
        post=int(post_id),
        own=f'<span class="score" aria-label="{score_label}">{score}</span>',
        forms={0: form(0), 1: form(1), -1: form(-1)},
    )


def _cut(mark: str, json_ld: Markup, body: str) -> SharedPosts:
    label = {key: str(escape(text)) for key, text in topic_labels().items()}
    texts: list[str] = []
    places: list[VotePlace | ActionsPlace] = []
    at = 0
    for found in _places(mark).finditer(body):
        texts.append(body[at : found.start()])
        at = found.end()
        if found.group(1) is not None:
            places.append(_vote_place(found.group(1), found.group(2), found.group(3), label))
        else:
            places.append(
                ActionsPlace(
                    found.group(5), int(found.group(4)), found.group(6) == "1", found.group(7) == "1"
                )
            )
    texts.append(body[at:])
    return SharedPosts(mark, json_ld, body, tuple(texts), tuple(places), label)


def split_head(fragment: str) -> SharedPosts:
    """A shared topic fragment (``forum/_topic_posts.html``) cut at its places, once per process and language
    while it is read."""
    opening = _MARK.match(fragment)
    if opening is None:
        raise ValueError("the shared topic fragment has no mark")
    mark = opening.group(1)
    key = (mark, str(i18n.current_locale()))
    found = _kept.get(key)
    if found is not None:
        _kept.move_to_end(key)
        return found
    closing = fragment.find(opening.group(0).strip(), opening.end())
    if closing < 0:  # not a fragment of forum/_topic_posts.html
        raise ValueError("the shared topic fragment has no mark")
    json_ld = Markup(fragment[opening.end() : closing])  # noqa: S704 (autoescaped)
    cut = _cut(mark, json_ld, fragment[closing + len(mark) + 7 :])
    _kept[key] = cut
    if len(_kept) > KEPT:
        _kept.popitem(last=False)
    return cut


def reader_posts(
    shared: SharedPosts, *, user: Any, my_votes: dict[int, int], level: int, topic: Any, csrf_input: str
) -> Markup:
    """The shared posts with this member's parts at the fragment's places."""
    label = shared.labels
    me = str(user.id)
    csrf = str(csrf_input)
    accepts = topic.kind.value == "question" and user.id == topic.author_id
    accepted_id = topic.accepted_post_id
    edit_wiki = level >= 3
    out = [shared.texts[0]]
    append = out.append
    for place, text in zip(shared.places, shared.texts[1:], strict=True):
        mine = place.author == me
        if isinstance(place, VotePlace):
            if mine:
                append(place.own)
            else:
                opening_tag, rest = place.forms.get(my_votes.get(place.post, 0)) or place.forms[0]
                append(opening_tag)
                append(csrf)
                append(rest)
        else:
            post_id = place.post
            if mine or (place.wiki and edit_wiki):
                append(f' · <a href="/forum/p/{post_id}/edit">{label["edit"]}</a>')
            if not mine:
                append(f' · <a href="/forum/p/{post_id}/flag">{label["flag"]}</a>')
            if accepts and not place.opening:
                button = label["withdraw"] if post_id == accepted_id else label["accept"]
                append(f'\n          <form method="post" action="/forum/p/{post_id}/accept" class="inline">')
                append(csrf)
                append(f'\n            <button type="submit" class="button small accept">{button}')
                append("</button></form>")
        append(text)
    # The fragment was rendered by the autoescaping environment; what goes in is escaped above.
    return Markup("".join(out))  # noqa: S704


# The reply editor with nothing of a reader's in it yet, per language and height: the macro ``editor`` of
# forum/_macros.html rendered once with these stand-ins (no escaping changes them) where a reader's draft key
# and draft go, and cut there. Calling the macro on every member's topic page cost a tenth of its rendering.
_KEY_HERE = "\x00draft-key\x00"
_BODY_HERE = "\x00draft-body\x00"
_editors: dict[tuple[str, int], tuple[str, str, str]] = {}


def reply_editor(editor: Any, draft_key: str, body: str | None, rows: int) -> Markup:
    """The macro ``editor``'s HTML for a reader's empty form (no errors, no preview) with their draft key and
    draft (escaped)."""
    key = (str(i18n.current_locale()), rows)
    cut = _editors.get(key)
    if cut is None:
        html = str(editor({"body": _BODY_HERE}, {}, _KEY_HERE, None, rows))
        before_key, after_key = html.split(_KEY_HERE)  # each stand-in is in the macro exactly once
        between, after_body = after_key.split(_BODY_HERE)
        cut = _editors[key] = (before_key, between, after_body)
    # Joined as plain text: adding a str to a Markup would escape the str (the macro's own HTML).
    parts = (cut[0], str(escape(draft_key)), cut[1], str(escape(body or "")), cut[2])
    return Markup("".join(parts))  # noqa: S704 (the reader's values escaped)
