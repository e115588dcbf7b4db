"""Announcements: compose in German and English with previews of what recipients read on
Telegram and on Matrix (live while typing, where JavaScript runs), the number of
recipients, send now, later or on a rule, four-eyes approval; a page per announcement
to change what is pending and to follow a broadcast's delivery. Filing, approving,
editing and cancelling go through the announcements feature, the previews through the
adapters' own formatting."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapters import matrix_content, telegram_text
from bot.core.i18n import Text, number
from bot.web import texts as T
from bot.web.server import STAFF, klbot, page, render, visitor
from handlers.announcements import broadcast, timing
from handlers.announcements.compose import AUDIENCES, AWAITING, SUBSCRIBERS_OF, file_announcement
from handlers.announcements.scheduled import (
    EDITABLE,
    NOT_EDITABLE,
    NOT_PENDING,
    STATES,
    Changes,
    approve_announcement,
    cancel_announcement,
    edit_announcement,
    own,
)
from handlers.subscriptions.topics import tags
from storage import Session, dashboard
from storage import announcements as store
from storage.models import Announcement

routes = web.RouteTableDef()

PLATFORMS: tuple[tuple[str, str, Callable[[str], list[str]]], ...] = (
    ("Telegram", "telegram", telegram_text.shown),
    ("Matrix", "matrix", matrix_content.shown),
)
"""The platforms a preview shows: name, style, what their adapter makes of a text."""
RECENT = 5
"""Broadcasts listed under "Recently sent"."""


@dataclass
class Draft:
    """What the compose or edit form holds."""

    audience: str = "all"
    text_de: str = ""
    text_en: str = ""
    when: str = ""

    @classmethod
    async def posted(cls, request: web.Request) -> Draft:
        form = await request.post()

        def value(name: str) -> str:
            found = form.get(name, "")
            return found.strip() if isinstance(found, str) else ""

        return cls(value("audience"), value("text_de"), value("text_en"), value("when"))

    @classmethod
    def of(cls, row: Announcement) -> Draft:
        """The form for changing ``row``: its texts and audience; the time stays empty,
        which keeps it."""
        return cls(row.audience, row.text_de, row.text_en or "")


@dataclass
class Checked:
    """A draft's problems (field → one line) and the time it names (``None``: none)."""

    problems: dict[str, str] = field(default_factory=dict)
    when: timing.When | None = None


@dataclass(frozen=True)
class Platform:
    """One platform's preview: per language, the messages as its readers see them."""

    name: str
    style: str
    languages: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class Preview:
    """What the preview box shows: when it goes out, what is wrong, each platform."""

    when: str
    problems: list[str]
    platforms: list[Platform]


async def audience_names(request: web.Request, session: Session) -> dict[str, str]:
    """Every audience and its name in the visitor's language."""
    lang = visitor(request).lang
    kb = (await klbot(request).services.knowledge.current(session)).kb
    names = {"all": AUDIENCES["all"](lang)}
    names |= {
        f"topic:project:{p.id}": SUBSCRIBERS_OF(lang, topic=p.name.get(lang)) for p in kb.projects
    }
    names |= {f"topic:tag:{tag}": SUBSCRIBERS_OF(lang, topic=f"# {tag}") for tag in tags(kb)}
    names |= {key: AUDIENCES[key](lang) for key in ("board", "staff")}
    return names


async def audiences(request: web.Request, session: Session) -> dict[str, tuple[str, int]]:
    """Every audience: its name in the visitor's language and how many it reaches."""
    config = klbot(request).config
    return {
        key: (name, len(await broadcast.audience_of(session, key, config)))
        for key, name in (await audience_names(request, session)).items()
    }


def _checked(
    request: web.Request, draft: Draft, choices: Mapping[str, Any], kept: str = ""
) -> Checked:
    """The problems of a draft, one line per bad field, and its time (``kept``: the
    audience an announcement being changed has, fine even if its topic is gone)."""
    lang = visitor(request).lang
    config = klbot(request).config
    found = Checked()
    if draft.audience not in choices and draft.audience != kept:
        found.problems["audience"] = T.BAD_AUDIENCE(lang)
    if not draft.text_de:
        found.problems["text_de"] = T.GERMAN_MISSING(lang)
    limit = config.bot.max_message_length
    for name, text in (("text_de", draft.text_de), ("text_en", draft.text_en)):
        if len(text) > limit:
            length = number(len(text), lang)
            found.problems[name] = T.TEXT_TOO_LONG(lang, length=length, limit=number(limit, lang))
    if draft.when:
        try:
            found.when = timing.understand(draft.when, ZoneInfo(config.bot.timezone), lang)
        except timing.NotUnderstood as refusal:
            found.problems["when"] = str(refusal)
    return found


def _preview(
    request: web.Request, draft: Draft, checked: Checked, keeps: timing.When | None = None
) -> Preview:
    """The draft as recipients will read it on each platform (each adapter's own
    formatting of what :func:`broadcast.message` writes), and when it goes out (``keeps``:
    the time an empty field keeps when editing)."""
    app = klbot(request)
    lang = visitor(request).lang
    zone = ZoneInfo(app.config.bot.timezone)
    texts = [
        (
            language,
            broadcast.message(
                text_de=draft.text_de,
                text_en=draft.text_en or None,
                audience=draft.audience,
                lang=language,
                config=app.config,
            ),
        )
        for language in ("de", "en")
        if draft.text_de and (language == "de" or draft.text_en)
    ]
    when = checked.when or keeps
    said = timing.describe(when, zone, lang) if when else T.AT_ONCE(lang)
    return Preview(
        when="" if "when" in checked.problems else said,
        problems=list(checked.problems.values()),
        platforms=[
            Platform(name, style, [(language, shown(text)) for language, text in texts])
            for name, style, shown in PLATFORMS
        ],
    )


def _notice(request: web.Request) -> str:
    """The line a redirect after an action asks for (``?done=…&id=…``)."""
    lang = visitor(request).lang
    notices: dict[str, Text] = {
        "approval": AWAITING,
        "planned": T.PLANNED_WEB,
        "queued": T.QUEUED_WEB,
        "passed": T.PASSED_WEB,
        "cancelled": T.CANCELLED_WEB,
        "saved": T.SAVED_WEB,
        "again": T.APPROVE_AGAIN_WEB,
        "unchanged": T.UNCHANGED_WEB,
    }
    done, which = request.query.get("done", ""), request.query.get("id", "")
    return notices[done](lang, id=which) if done in notices and which.isdecimal() else ""


def progress_of(lang: str, row: Announcement, progress: store.Progress) -> dict[str, Any]:
    """A broadcast's delivery as the page and its JSON show it: the figures of
    :func:`broadcast.standing` (the author's progress message in chat), written as people
    write numbers in ``lang``."""
    state = broadcast.standing(row, progress)
    if not state.pending:
        left = T.FINISHED(lang)
    elif state.minutes_left is None:
        left = T.ESTIMATING(lang)
    else:
        left = T.ABOUT_MINUTES(lang, state.minutes_left)
    return {
        "id": row.id,
        "finished": not state.pending,
        "recipients": state.recipients,
        "through": state.through,
        "figures": {
            "delivered": T.DELIVERED_OF(
                lang,
                delivered=number(state.delivered, lang),
                count=number(state.recipients, lang),
            ),
            "undeliverable": number(state.undeliverable, lang),
            "uncertain": number(state.uncertain, lang),
            "left": left,
        },
    }


def _may_approve(request: web.Request, row: Announcement) -> bool:
    identity = visitor(request).identity
    return row.status == "approval" and not own(row, identity=identity, by=identity)


async def _page(
    request: web.Request,
    session: Session,
    *,
    draft: Draft | None = None,
    status: int = 200,
    checked: Checked | None = None,
    problems: list[str] | None = None,
    preview: Preview | None = None,
    notice: str = "",
) -> web.Response:
    """The list page: compose, what is pending, what went out lately."""
    app = klbot(request)
    lang = visitor(request).lang
    zone = ZoneInfo(app.config.bot.timezone)
    choices = await audiences(request, session)
    pending = []
    for row in await store.pending(session):
        when = timing.of(row)
        progress = None
        if row.status == "sending":
            counted = await store.progress(session, announcement_id=row.id)
            progress = progress_of(lang, row, counted)
        pending.append(
            {
                "row": row,
                "when": timing.describe(when, zone, lang) if when else T.AT_ONCE(lang),
                "audience": choices.get(row.audience, (row.audience, 0))[0],
                "state": STATES[row.status](lang) if row.status in STATES else row.status,
                "progress": progress,
                "editable": row.status in EDITABLE,
                "approvable": _may_approve(request, row),
                "passed": when is not None and timing.next_run(when, zone) is None,
            }
        )
    checked = checked or Checked()
    return render(
        request,
        "announcements.html",
        status=status,
        title=T.ANNOUNCEMENTS,
        draft=draft or Draft(),
        choices=choices,
        problems=problems or list(checked.problems.values()),
        invalid=set(checked.problems),
        preview=preview,
        notice=notice,
        pending=pending,
        recent=await dashboard.recent_broadcasts(session, limit=RECENT),
        example=timing.example_date(lang, datetime.now(zone)),
        limit=app.config.bot.max_message_length,
    )


@routes.get("/web/announcements")
@page(roles=STAFF)
async def announcements(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session:
        return await _page(request, session, notice=_notice(request))


@routes.post("/web/announcements/preview")
@page(roles=STAFF)
async def preview(request: web.Request) -> web.StreamResponse:
    """The draft as recipients will read it on Telegram and Matrix, and when it goes out
    (the Preview button, without JavaScript)."""
    draft = await Draft.posted(request)
    async with klbot(request).sessions() as session:
        checked = _checked(request, draft, await audiences(request, session))
        if checked.problems:
            return await _page(request, session, draft=draft, status=422, checked=checked)
        shown = _preview(request, draft, checked)
        return await _page(request, session, draft=draft, preview=shown)


@routes.post("/web/announcements/preview/live")
@page(roles=STAFF)
async def live_preview(request: web.Request) -> web.StreamResponse:
    """The preview box alone, for the page's script to show while someone types (the
    audiences named, not counted: that would read every subscriber at each pause)."""
    draft = await Draft.posted(request)
    async with klbot(request).sessions() as session:
        checked = _checked(request, draft, await audience_names(request, session))
    return render(request, "_preview.html", preview=_preview(request, draft, checked))


@routes.post("/web/announcements")
@page(roles=STAFF)
async def create(request: web.Request) -> web.StreamResponse:
    draft = await Draft.posted(request)
    app = klbot(request)
    async with app.sessions() as session, session.begin():
        checked = _checked(request, draft, await audiences(request, session))
        if checked.problems:
            return await _page(request, session, draft=draft, status=422, checked=checked)
        filed = await file_announcement(
            session,
            app.config,
            author=visitor(request).identity,
            author_identity=visitor(request).identity,
            audience=draft.audience,
            text_de=draft.text_de,
            text_en=draft.text_en or None,
            when=checked.when,
        )
    raise _done(filed.state, filed.row.id)


def _done(state: str, number: int) -> web.HTTPSeeOther:
    """Where an action leads: a broadcast going out to its page (to follow it), the rest
    to the list."""
    if state == "queued":
        return web.HTTPSeeOther(f"/web/announcements/{number}?done={state}&id={number}")
    return web.HTTPSeeOther(f"/web/announcements?done={state}&id={number}")


async def _announcement(request: web.Request, session: Session) -> Announcement:
    number = request.match_info["number"]
    row = await store.get(session, announcement_id=int(number)) if number.isdecimal() else None
    if row is None:
        raise web.HTTPNotFound()
    return row


async def _announcement_page(
    request: web.Request,
    session: Session,
    row: Announcement,
    *,
    draft: Draft | None = None,
    status: int = 200,
    checked: Checked | None = None,
    preview: Preview | None = None,
    notice: str = "",
) -> web.Response:
    """One announcement: its facts, its delivery, and the form to change it while it is
    pending."""
    app = klbot(request)
    lang = visitor(request).lang
    zone = ZoneInfo(app.config.bot.timezone)
    choices = await audiences(request, session)
    if row.audience not in choices:  # its topic is gone: it keeps it unless changed
        reached = await broadcast.audience_of(session, row.audience, app.config)
        choices[row.audience] = (row.audience, len(reached))
    when = timing.of(row)
    counted = await store.progress(session, announcement_id=row.id)
    checked = checked or Checked()
    return render(
        request,
        "announcement.html",
        status=status,
        title=T.ANNOUNCEMENT,
        row=row,
        state=(STATES | T.ENDED_STATES)[row.status](lang),
        audience=choices.get(row.audience, (row.audience, 0))[0],
        when_said=timing.describe(when, zone, lang) if when else T.AT_ONCE(lang),
        progress=progress_of(lang, row, counted) if counted.recipients else None,
        editable=row.status in EDITABLE,
        approvable=_may_approve(request, row),
        passed=when is not None and timing.next_run(when, zone) is None,
        cancellable=row.status in ("approval", "scheduled", "sending"),
        draft=draft or Draft.of(row),
        choices=choices,
        problems=list(checked.problems.values()),
        invalid=set(checked.problems),
        preview=preview,
        notice=notice,
        example=timing.example_date(lang, datetime.now(zone)),
        limit=app.config.bot.max_message_length,
    )


@routes.get("/web/announcements/{number}")
@page(roles=STAFF)
async def announcement(request: web.Request) -> web.StreamResponse:
    """One announcement; while it can be changed, with a preview of it as it stands."""
    async with klbot(request).sessions() as session:
        row = await _announcement(request, session)
        shown = None
        if row.status in EDITABLE:
            shown = _preview(request, Draft.of(row), Checked(), timing.of(row))
        return await _announcement_page(
            request, session, row, preview=shown, notice=_notice(request)
        )


@routes.get("/web/announcements/{number}/progress")
@page(roles=STAFF)
async def progress(request: web.Request) -> web.StreamResponse:
    """The delivery figures as JSON, for the page's script to follow a broadcast."""
    async with klbot(request).sessions() as session:
        row = await _announcement(request, session)
        counted = await store.progress(session, announcement_id=row.id)
    return web.json_response(progress_of(visitor(request).lang, row, counted))


@routes.post("/web/announcements/{number}/preview")
@page(roles=STAFF)
async def edit_preview(request: web.Request) -> web.StreamResponse:
    """The changed announcement as recipients will read it (without JavaScript)."""
    draft = await Draft.posted(request)
    async with klbot(request).sessions() as session:
        row = await _announcement(request, session)
        checked = _checked(request, draft, await audience_names(request, session), row.audience)
        if checked.problems:
            return await _announcement_page(
                request, session, row, draft=draft, status=422, checked=checked
            )
        shown = _preview(request, draft, checked, timing.of(row))
        return await _announcement_page(request, session, row, draft=draft, preview=shown)


@routes.post("/web/announcements/{number}/preview/live")
@page(roles=STAFF)
async def edit_live_preview(request: web.Request) -> web.StreamResponse:
    draft = await Draft.posted(request)
    async with klbot(request).sessions() as session:
        row = await _announcement(request, session)
        checked = _checked(request, draft, await audience_names(request, session), row.audience)
    shown = _preview(request, draft, checked, timing.of(row))
    return render(request, "_preview.html", preview=shown)


@routes.post("/web/announcements/{number}/edit")
@page(roles=STAFF)
async def edit(request: web.Request) -> web.StreamResponse:
    """Change texts, time or rule and audience, as /edit does in chat: an empty time keeps
    it; a change to an approved announcement to everyone needs approval again."""
    draft = await Draft.posted(request)
    app = klbot(request)
    who = visitor(request)
    async with app.sessions() as session, session.begin():
        row = await _announcement(request, session)
        if row.status not in EDITABLE:
            state = NOT_PENDING[row.status](who.lang)
            checked = Checked({"state": NOT_EDITABLE(who.lang, id=row.id, state=state)})
            return await _announcement_page(
                request, session, row, draft=draft, status=409, checked=checked
            )
        checked = _checked(request, draft, await audience_names(request, session), row.audience)
        if checked.problems:
            return await _announcement_page(
                request, session, row, draft=draft, status=422, checked=checked
            )
        changes = Changes(
            text_de=draft.text_de,
            text_en=draft.text_en,
            when=checked.when,
            audience=draft.audience,
        )
        edited = await edit_announcement(
            session, app.config, row, changes, by=who.identity, identity=who.identity
        )
    if edited is None or not edited.changed:
        raise web.HTTPSeeOther(f"/web/announcements/{row.id}?done=unchanged&id={row.id}")
    done = "again" if edited.approve_again else "saved"
    raise web.HTTPSeeOther(f"/web/announcements?done={done}&id={row.id}")


@routes.post("/web/announcements/{number}/approve")
@page(roles=STAFF)
async def approve(request: web.Request) -> web.StreamResponse:
    """The second person's approval; one's own announcement needs someone else."""
    app = klbot(request)
    who = visitor(request)
    async with app.sessions() as session, session.begin():
        row = await _announcement(request, session)
        now = (await request.post()).get("now") == "1"  # its time has passed: send it now
        approved = await approve_announcement(
            session, app.config, row, by=who.identity, identity=who.identity, now=now
        )
        if isinstance(approved, Text):
            refusal = approved(who.lang, id=row.id)
            return await _page(request, session, status=409, problems=[refusal])
    raise _done(approved.state, row.id)


@routes.post("/web/announcements/{number}/cancel")
@page(roles=STAFF)
async def cancel(request: web.Request) -> web.StreamResponse:
    app = klbot(request)
    who = visitor(request)
    async with app.sessions() as session, session.begin():
        row = await _announcement(request, session)
        dropped = await cancel_announcement(session, row, by=who.identity)
        if dropped is None:
            return await _page(
                request, session, status=409, problems=[T.NOT_PENDING_WEB(who.lang, id=row.id)]
            )
    raise web.HTTPSeeOther(f"/web/announcements?done=cancelled&id={row.id}")
