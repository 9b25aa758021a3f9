"""A topic and writing in it: reading a topic, replying, starting a topic, previews and drafts, editing and
the edit history, votes and accepted answers. Thin: parse, call a service, render. Every form works
without JavaScript; htmx only spares reloads."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from community.accounts.guards import Member, requires_login
from community.forum.controllers.common import (
    DEPENDENCIES,
    Catalog,
    Drafts,
    PageNumber,
    Reading,
    Topics,
    Votes,
    posting_form,
    then_flash,
)
from community.forum.documents import TOPIC_DOC_TYPE, post_url, topic_url
from community.forum.feeds import json_ld, meta_description
from community.forum.inputs import TopicInput
from community.forum.labels import KIND_LABELS
from community.forum.models import Topic, Visibility
from community.forum.reader_parts import split_head
from community.forum.services import CatalogService, ReadingService
from community.forum.services.drafts import NEW_TOPIC_KEY
from community.forum.services.writing import preview
from community.i18n import N_, _
from community.search.schemas import SearchQuery
from community.search.services import SearchService
from community.web import (
    Form,
    Visitor,
    field,
    form_or_redirect,
    is_htmx,
    limit_per_account,
    render,
    settings_of,
    shared_fragment,
)

POST_WAITS = N_("Thanks! Your post waits for a moderator's review before others see it.")
EDIT_SAVED = N_("Saved. The earlier version stays in the history.")
EDIT_WAITS = N_(
    "Thanks! Your edit waits for a moderator's review; until then readers see the earlier version."
)
TOPIC_WAITS = N_("Thanks! Your topic waits for a moderator's review before others see it.")


async def _topic(request: Visitor, reading: ReadingService, topic_id: int, page: int) -> dict[str, Any]:
    """What the topic page shows: its posts, what the reader may do, the draft of their reply, and what
    search engines read (JSON-LD, description, canonical address)."""
    view = await reading.topic_page(request.scope.get("user"), topic_id, page)
    base_url = settings_of(request).base_url
    return {
        "view": view,
        "topic": view.topic,
        "form": {"body": view.draft} if view.draft is not None else {},
        "json_ld": json_ld(view, base_url),
        "description": meta_description(view.topic.excerpt or view.topic.title),
        "canonical": base_url.rstrip("/") + topic_url(view.topic.id, view.topic.slug, view.page),
    }


async def _shared_topic(
    request: Visitor, reading: ReadingService, topic_id: int, page: int
) -> dict[str, Any]:
    """The topic page with its posts from a shared fragment, when the reader sees what everyone sees: the
    posts, their authors and counts are rendered once per content version and language for every reader;
    this reader's votes and buttons go in at the places the fragment marks (forum/topic.html). A moderator,
    or a reader with posts or edits here that only they see, gets the whole page rendered for them."""
    view = await reading.topic_page(request.scope.get("user"), topic_id, page, posts=False)
    if not view.public or view.page > view.pages:
        # Rare: what they see is theirs alone, or a page past the last (not worth keeping for everyone).
        return await _topic(request, reading, topic_id, page)
    base_url = settings_of(request).base_url

    async def public_part() -> dict[str, Any]:
        public = await reading.public_posts(view)
        mark = secrets.token_hex(16)  # this fragment's own: no post's text can forge a place of the reader's
        return {"view": public, "topic": public.topic, "mark": mark, "json_ld": json_ld(public, base_url)}

    key = f"forum/t/{view.topic.id}?page={view.page}"
    fragment = str(await shared_fragment(request, "forum/_topic_posts.html", key, public_part))
    shared = split_head(fragment)
    return {
        "view": view,
        "topic": view.topic,
        "form": {"body": view.draft} if view.draft is not None else {},
        "json_ld": shared.json_ld,
        "description": meta_description(view.topic.excerpt or view.topic.title),
        "canonical": base_url.rstrip("/") + topic_url(view.topic.id, view.topic.slug, view.page),
        # A member's parts go in at the marked places (community.forum.reader_parts); a visitor's page is the
        # fragment as it is.
        "shared": shared,
    }


async def _new_topic(catalog: CatalogService) -> dict[str, Any]:
    return {"categories": await catalog.categories(), "kinds": list(KIND_LABELS.items())}


class TopicController(Controller):
    path = "/forum"
    dependencies = DEPENDENCIES

    @get("/t/{topic_id:int}/{slug:str}", cache=True, name="forum_topic")
    async def topic(
        self,
        request: Visitor,
        topic_id: FromPath[int],
        slug: FromPath[str],
        reading: Reading,
        page: PageNumber = 1,
    ) -> Response[Any]:
        context = await _shared_topic(request, reading, topic_id, page)
        topic: Topic = context["topic"]
        if slug != topic.slug:  # an old or mistyped slug: the permanent address
            return Redirect(topic_url(topic.id, topic.slug, page), status_code=301)
        return render(request, "forum/topic.html", **context)

    @post("/t/{topic_id:int}/reply", guards=[requires_login])
    async def reply(
        self, request: Member, topic_id: FromPath[int], data: Form, reading: Reading, topics: Topics
    ) -> Response[Any]:
        form = {"body": field(data, "body")}
        if field(data, "action") == "preview":
            context = await _topic(request, reading, topic_id, 1)
            return render(
                request,
                "forum/topic.html",
                **{**context, "form": form, "preview_html": await preview(form["body"])},
            )

        save = then_flash(
            request,
            partial(topics.reply, request.user, topic_id, form["body"]),
            lambda written: _(POST_WAITS) if written[1].visibility is Visibility.PENDING else None,
        )
        return await posting_form(
            request,
            save,
            template="forum/topic.html",
            form=form,
            redirect_to=lambda written: post_url(*written),
            context=lambda: _topic(request, reading, topic_id, 1),
        )

    # --- starting a topic -------------------------------------------------------------------------

    @get("/new", guards=[requires_login], name="forum_new")
    async def new_form(
        self,
        request: Member,
        catalog: Catalog,
        drafts: Drafts,
        category: Annotated[str, QueryParameter()] = "",
        kind: Annotated[str, QueryParameter()] = "",
        tags: Annotated[str, QueryParameter()] = "",
    ) -> Template:
        form = {
            "category": category,
            "kind": kind or ("question" if category == "qa" else "discussion"),
            "tags": tags,
        }
        draft = await drafts.get(request.user.id, NEW_TOPIC_KEY)
        if draft:
            form.update(title=draft.title, body=draft.body)
        return render(request, "forum/new.html", **await _new_topic(catalog), form=form, restored=bool(draft))

    @post("/new", guards=[requires_login])
    async def create(self, request: Member, data: Form, catalog: Catalog, topics: Topics) -> Response[Any]:
        typed = TopicInput.from_form(data)
        if field(data, "action") == "preview":
            return render(
                request,
                "forum/new.html",
                **await _new_topic(catalog),
                form=typed.as_form(),
                preview_html=await preview(typed.body),
            )

        save = then_flash(
            request,
            partial(topics.create_topic, request.user, typed),
            lambda topic: _(TOPIC_WAITS) if topic.visibility is Visibility.PENDING else None,
        )
        return await posting_form(
            request,
            save,
            template="forum/new.html",
            form=typed.as_form(),
            redirect_to=lambda topic: topic_url(topic.id, topic.slug),
            context=lambda: _new_topic(catalog),
        )

    @post(
        "/preview",
        guards=[requires_login],
        middleware=limit_per_account("forum-preview", "forum_preview_rate_per_minute"),
    )
    async def live_preview(self, request: Member, data: Form, drafts: Drafts) -> Template:
        """htmx: the rendered preview, and the draft saved on the way."""
        body = field(data, "body")
        saved = await drafts.save(request.user.id, field(data, "draft_key"), field(data, "title"), body)
        return render(request, "forum/_preview.html", preview_html=await preview(body), saved=saved)

    @get("/similar")
    async def similar(
        self, request: Visitor, title: Annotated[str, QueryParameter(max_length=400)] = ""
    ) -> Template:
        """htmx: questions like the title being typed, through the site's search."""
        hits = []
        if len(title.strip()) >= 4:
            service = SearchService(request.app.state.search_backend)
            results = await service.search(
                SearchQuery(q=title.strip()[:200], types=(TOPIC_DOC_TYPE,), per_page=5)
            )
            hits = results.hits
        return render(request, "forum/_similar.html", hits=hits)

    # --- editing, history -------------------------------------------------------------------------

    @get("/p/{post_id:int}/edit", guards=[requires_login])
    async def edit_form(self, request: Member, post_id: FromPath[int], reading: Reading) -> Template:
        post_, topic, held = await reading.editable_post(request.user, post_id)
        # The member goes on from the edit of theirs that waits for review, if there is one.
        mine = held if held is not None and held.editor_id == request.user.id else None
        form = {
            "title": mine.title if mine and mine.title else topic.title,
            "body": mine.body_md if mine else post_.body_md,
        }
        return render(request, "forum/edit.html", post=post_, topic=topic, form=form, held=held)

    @post("/p/{post_id:int}/edit", guards=[requires_login])
    async def edit(
        self, request: Member, post_id: FromPath[int], data: Form, reading: Reading, topics: Topics
    ) -> Response[Any]:
        post_, topic, held = await reading.editable_post(request.user, post_id)
        form = {"title": field(data, "title"), "body": field(data, "body")}
        context: dict[str, Any] = {"post": post_, "topic": topic, "held": held}
        if field(data, "action") == "preview":
            return render(
                request, "forum/edit.html", **context, form=form, preview_html=await preview(form["body"])
            )
        title = form["title"] if post_.number == 1 else None
        save = then_flash(
            request,
            partial(topics.edit, request.user, post_id, form["body"], title),
            lambda edited: _(EDIT_WAITS) if edited.held else _(EDIT_SAVED),
        )
        return await form_or_redirect(
            request,
            save,
            template="forum/edit.html",
            form=form,
            done=None,
            redirect_to=lambda edited: post_url(edited.topic, edited.post),
            context=context,
        )

    @get("/p/{post_id:int}/history")
    async def history(self, request: Visitor, post_id: FromPath[int], reading: Reading) -> Template:
        post_, topic, revisions = await reading.history(request.scope.get("user"), post_id)
        return render(request, "forum/history.html", post=post_, topic=topic, revisions=revisions)

    @post("/p/{post_id:int}/wiki", guards=[requires_login])
    async def wiki(self, request: Member, post_id: FromPath[int], data: Form, topics: Topics) -> Redirect:
        topic, changed = await topics.set_wiki(request.user, post_id, field(data, "on") == "1")
        return Redirect(post_url(topic, changed))

    # --- votes, acceptance ------------------------------------------------------------------------

    @post("/p/{post_id:int}/vote", guards=[requires_login])
    async def vote(self, request: Member, post_id: FromPath[int], data: Form, votes: Votes) -> Response[Any]:
        choice = field(data, "vote")
        topic, voted = await votes.vote(request.user, post_id, choice)
        if is_htmx(request):
            my_vote = {"up": 1, "down": -1}.get(choice, 0)
            return render(request, "forum/_votes.html", post=voted, my_vote=my_vote, can_vote=True)
        return Redirect(post_url(topic, voted))

    @post("/p/{post_id:int}/accept", guards=[requires_login])
    async def accept(self, request: Member, post_id: FromPath[int], votes: Votes) -> Redirect:
        topic, post_, accepted = await votes.accept(request.user, post_id)
        flash(request, _("Answer accepted.") if accepted else _("Acceptance withdrawn."), "success")
        return Redirect(post_url(topic, post_))
