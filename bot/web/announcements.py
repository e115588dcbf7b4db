"""Announcements: compose in German and English with a preview and the number of
recipients, send now, later or on a rule, four-eyes approval, cancel what is pending.
Filing, approving and cancelling go through the announcements feature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.core.i18n import Text
from bot.web import texts as T
from bot.web.server import STAFF, klbot, page, render, visitor
from handlers.announcements import broadcast, timing
from handlers.announcements.compose import AUDIENCES, AWAITING, SUBSCRIBERS_OF, file_announcement
from handlers.announcements.scheduled import STATES, approve_announcement, cancel_announcement
from handlers.subscriptions.topics import tags
from storage import Session
from storage import announcements as store
from storage.models import Announcement

routes = web.RouteTableDef()


@dataclass
class Draft:
    """What the compose form holds."""

    audience: str = "all"
    text_de: str = ""
    text_en: str = ""
    when: str = ""

    @classmethod
    async def posted(cls, request: web.Request) -> Draft:
        form = await request.post()

        def field(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        return cls(field("audience"), field("text_de"), field("text_en"), field("when"))


async def audiences(request: web.Request, session: Session) -> dict[str, tuple[str, int]]:
    """Every audience: its name in the visitor's language and how many it reaches."""
    lang = visitor(request).lang
    app = klbot(request)
    kb = (await app.services.knowledge.current(session)).kb
    names = {"all": AUDIENCES["all"](lang)}
    names |= {
        f"topic:project:{p.id}": SUBSCRIBERS_OF(lang, topic=p.name.get(lang)) for p in kb.projects
    }
    names |= {f"topic:tag:{tag}": SUBSCRIBERS_OF(lang, topic=f"# {tag}") for tag in tags(kb)}
    names |= {key: AUDIENCES[key](lang) for key in ("board", "staff")}
    return {
        key: (name, len(await broadcast.audience_of(session, key, app.config)))
        for key, name in names.items()
    }


async def _page(
    request: web.Request,
    session: Session,
    *,
    draft: Draft | None = None,
    status: int = 200,
    problems: list[str] | None = None,
    preview: list[tuple[str, str]] | None = None,
    when_said: str = "",
    notice: str = "",
) -> web.Response:
    app = klbot(request)
    lang = visitor(request).lang
    zone = ZoneInfo(app.config.bot.timezone)
    choices = await audiences(request, session)
    pending = []
    for row in await store.pending(session):
        when = timing.of(row)
        state = STATES[row.status](lang) if row.status in STATES else row.status
        progress = None
        if row.status == "sending":
            progress = await store.progress(session, announcement_id=row.id)
        pending.append(
            {
                "row": row,
                "when": timing.describe(when, zone, lang) if when else T.AT_ONCE(lang),
                "audience": choices.get(row.audience, (row.audience, 0))[0],
                "state": state,
                "progress": progress,
                "passed": when is not None and timing.next_run(when, zone) is None,
            }
        )
    return render(
        request,
        "announcements.html",
        status=status,
        title=T.ANNOUNCEMENTS,
        draft=draft or Draft(),
        choices=choices,
        problems=problems or [],
        preview=preview or [],
        when_said=when_said,
        notice=notice,
        pending=pending,
        example=timing.example_date(lang, datetime.now(zone)),
        limit=app.config.bot.max_message_length,
    )


def _checked(
    request: web.Request, draft: Draft, choices: dict[str, Any]
) -> tuple[list[str], timing.When | None]:
    """The problems of a draft, one line each, and its time (``None``: now)."""
    lang = visitor(request).lang
    config = klbot(request).config
    problems = []
    if draft.audience not in choices:
        problems.append(T.BAD_AUDIENCE(lang))
    if not draft.text_de:
        problems.append(T.GERMAN_MISSING(lang))
    limit = config.bot.max_message_length
    for text in (draft.text_de, draft.text_en):
        if len(text) > limit:
            problems.append(T.TEXT_TOO_LONG(lang, length=len(text), limit=limit))
    when = None
    if draft.when:
        try:
            when = timing.understand(draft.when, ZoneInfo(config.bot.timezone), lang)
        except timing.NotUnderstood as refusal:
            problems.append(str(refusal))
    return problems, when


@routes.get("/web/announcements")
@page(roles=STAFF)
async def announcements(request: web.Request) -> web.StreamResponse:
    lang = visitor(request).lang
    notices = {
        "approval": AWAITING,
        "planned": T.PLANNED_WEB,
        "queued": T.QUEUED_WEB,
        "passed": T.PASSED_WEB,
    }
    done, number = request.query.get("done", ""), request.query.get("id", "")
    notice = ""
    if done in notices and number.isdecimal():
        notice = notices[done](lang, id=number)
    elif done == "cancelled" and number.isdecimal():
        notice = T.CANCELLED_WEB(lang, id=number)
    async with klbot(request).sessions() as session:
        return await _page(request, session, notice=notice)


@routes.post("/web/announcements/preview")
@page(roles=STAFF)
async def preview(request: web.Request) -> web.StreamResponse:
    """The draft as recipients will read it on Telegram and Matrix, and when it goes out."""
    draft = await Draft.posted(request)
    app = klbot(request)
    lang = visitor(request).lang
    async with app.sessions() as session:
        choices = await audiences(request, session)
        problems, when = _checked(request, draft, choices)
        if problems:
            return await _page(request, session, draft=draft, status=422, problems=problems)
        shown = [
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
            if language == "de" or draft.text_en
        ]
        zone = ZoneInfo(app.config.bot.timezone)
        said = timing.describe(when, zone, lang) if when else T.AT_ONCE(lang)
        return await _page(request, session, draft=draft, preview=shown, when_said=said)


@routes.post("/web/announcements")
@page(roles=STAFF)
async def create(request: web.Request) -> web.StreamResponse:
    draft = await Draft.posted(request)
    app = klbot(request)
    async with app.sessions() as session, session.begin():
        choices = await audiences(request, session)
        problems, when = _checked(request, draft, choices)
        if problems:
            return await _page(request, session, draft=draft, status=422, problems=problems)
        filed = await file_announcement(
            session,
            app.config,
            author=visitor(request).identity,
            author_identity=visitor(request).identity,
            audience=draft.audience,
            text_de=draft.text_de,
            text_en=draft.text_en or None,
            when=when,
        )
    raise web.HTTPSeeOther(f"/web/announcements?done={filed.state}&id={filed.row.id}")


async def _announcement(request: web.Request, session: Session) -> Announcement:
    number = request.match_info["number"]
    row = await store.get(session, announcement_id=int(number)) if number.isdecimal() else None
    if row is None:
        raise web.HTTPNotFound()
    return row


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
    raise web.HTTPSeeOther(f"/web/announcements?done={approved.state}&id={row.id}")


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
