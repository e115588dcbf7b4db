"""Feedback: the inbox (filters, search, pages), one piece with its answers, answering
(through the feedback feature, as ``/answer`` does), closing, reopening, export."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.core.i18n import Text
from bot.web import texts as T
from bot.web.server import STAFF, klbot, page, render, visitor
from handlers.feedback import service as feedback
from handlers.feedback.chat import TOPIC_NAMES
from handlers.feedback.export import as_records, to_csv, to_json
from storage import Session
from storage import feedback as store
from storage import roles as audit_log
from storage.models import Feedback

routes = web.RouteTableDef()

PAGE_SIZE = 25
MOST_FOUND = 1_000
"""A search counts this many matches at most, and pages through them: beyond, more words
narrow it (counting every match of a common word reads a good part of all feedback)."""
STATUSES = ("open", "new", "read", "answered", "closed", "all")
"""What the status filter offers; ``open`` (new and read) is where work waits."""
OPEN = ["new", "read"]

EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)
"""The dates a filter may name."""


@dataclass
class Inbox:
    """The inbox's filters, read from the address; a bad value becomes one line saying so."""

    status: str = "open"
    topic: str = ""
    rating: int | None = None
    since: date | None = None
    until: date | None = None
    words: str = ""
    page: int = 1
    problems: list[tuple[Text, str]] = field(default_factory=list)

    @classmethod
    def read(cls, query: Any) -> Inbox:
        found = cls()
        status = query.get("status", "open")
        found.status = status if status in STATUSES else "open"
        found.topic = query.get("topic", "")[:200]
        found.words = " ".join(query.get("q", "").split())[:200]
        rating = query.get("rating", "")
        if rating in {"1", "2", "3", "4", "5"}:
            found.rating = int(rating)
        elif rating:
            found.problems.append((T.BAD_RATING, rating[:50]))
        for key in ("from", "until"):
            value = query.get(key, "")
            try:
                day = date.fromisoformat(value) if value else None
                if day is not None and not EARLIEST <= day <= LATEST:
                    raise ValueError(value)  # 0001-01-01 and 9999-12-31 overflow in UTC
            except ValueError:
                found.problems.append((T.BAD_DATE, value[:50]))
                day = None
            setattr(found, "since" if key == "from" else "until", day)
        number = query.get("page", "1")
        if number.isdecimal() and 0 < int(number) < 10**6:
            found.page = int(number)
        else:
            found.problems.append((T.BAD_PAGE, number[:50]))
        return found

    def statuses(self) -> list[str]:
        if self.status == "open":
            return OPEN
        return [] if self.status == "all" else [self.status]

    def filters(self, zone: ZoneInfo) -> dict[str, Any]:
        """Keyword arguments of :func:`storage.feedback.search`."""
        return {
            "statuses": self.statuses(),
            "topic": self.topic or None,
            "rating": self.rating,
            "since": _day_start(self.since, zone) if self.since else None,
            "until": _day_start(self.until + timedelta(days=1), zone) if self.until else None,
            "words": self.words,
        }

    def address(self, **changes: Any) -> str:
        """This inbox's query string with ``changes`` (empty values left out)."""
        values = {
            "status": self.status,
            "topic": self.topic,
            "rating": self.rating or "",
            "from": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "q": self.words,
            "page": self.page,
        } | changes
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


async def topic_names(request: web.Request, session: Session) -> dict[str, str]:
    """Every topic feedback can have, by its name in the visitor's language."""
    lang = visitor(request).lang
    loaded = await klbot(request).services.knowledge.current(session)
    names = {f"project:{p.id}": p.name.get(lang) for p in loaded.kb.projects}
    return names | {topic: name(lang) for topic, name in TOPIC_NAMES.items()}


@routes.get("/web/feedback")
@page(roles=STAFF)
async def inbox(request: web.Request) -> web.StreamResponse:
    wanted = Inbox.read(request.query)
    zone = ZoneInfo(klbot(request).config.bot.timezone)
    async with klbot(request).sessions() as session:
        most = MOST_FOUND if wanted.words else None
        found = await store.page(
            session, **wanted.filters(zone), size=PAGE_SIZE, number=wanted.page, most=most
        )
        wanted.page = found.number
        pages = max(1, math.ceil(found.total / PAGE_SIZE))
        topics = await topic_names(request, session)
    return render(
        request,
        "inbox.html",
        title=T.INBOX,
        inbox=wanted,
        rows=found.rows,
        total=found.total,
        more=found.more,
        pages=pages,
        topics=topics,
        statuses=feedback.STATUS_NAMES,
    )


@routes.get("/web/feedback/export.{format:csv|json}")
@page(roles=STAFF)
async def export(request: web.Request) -> web.StreamResponse:
    """The inbox's matching feedback (every page) as CSV or JSON."""
    wanted = Inbox.read(request.query)
    app = klbot(request)
    zone = ZoneInfo(app.config.bot.timezone)
    fmt = request.match_info["format"]
    async with app.sessions() as session, session.begin():
        rows = await store.search(session, **wanted.filters(zone), limit=None)
        answers = await store.answers_to(session, [row.id for row in rows])
        detail = f"{len(rows)} as {fmt} ({wanted.address(page='')})"
        await audit_log.audit(
            session, actor=visitor(request).identity, action="web-export", detail=detail
        )
    records = as_records(reversed(rows), answers, app.config.bot.timezone)
    if fmt == "csv":  # with a byte-order mark, so spreadsheet programs read UTF-8
        body, kind = ("\ufeff" + to_csv(records)).encode(), "text/csv"
    else:
        body, kind = to_json(records).encode(), "application/json"
    name = f"klbot-feedback-{datetime.now(zone):%Y-%m-%d}.{fmt}"
    return web.Response(
        body=body,
        content_type=kind,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _found(session: Session, request: web.Request) -> Feedback:
    row = await store.find(session, reference=request.match_info["reference"][:16])
    if row is None:
        raise web.HTTPNotFound()
    return row


async def _page(
    request: web.Request,
    session: Session,
    row: Feedback,
    *,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    draft: str = "",
) -> web.Response:
    """One feedback with its answers and the forms to answer, close or reopen it."""
    sender = await feedback.sender(session, row, visitor(request).lang)
    history = (await store.answers_to(session, [row.id]))[row.id]
    topics = await topic_names(request, session)
    return render(
        request,
        "feedback.html",
        status=status,
        title=T.FEEDBACK_TITLE,
        row=row,
        sender=sender,
        topic=topics.get(row.topic, row.topic),
        status_name=feedback.STATUS_NAMES.get(row.status),
        history=history,
        unknown_author=store.UNKNOWN_AUTHOR,
        unknown_label=feedback.UNKNOWN_AUTHOR,
        notice=notice,
        problem=problem,
        draft=draft,
        limit=_answer_limit(request),
        back=request.query.get("back", ""),
    )


def _answer_limit(request: web.Request) -> int:
    """The longest answer: what a chat message may hold (``[bot] max_message_length``)."""
    return klbot(request).config.bot.max_message_length


NOTICES = {"sent": feedback.ANSWER_SENT, "closed": T.CLOSED_DONE, "reopened": T.REOPENED_DONE}


@routes.get("/web/feedback/{reference}")
@page(roles=STAFF)
async def show(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session, session.begin():
        row = await _found(session, request)
        feedback.seen_by_staff(row)  # as /show
        said = NOTICES.get(request.query.get("done", ""))
        notice = said(visitor(request).lang, reference=row.reference) if said else ""
        return await _page(request, session, row, notice=notice)


@routes.post("/web/feedback/{reference}/answer")
@page(roles=STAFF)
async def answer(request: web.Request) -> web.StreamResponse:
    """Answer as ``/answer`` does; refused answers come back with the text kept."""
    who = visitor(request)
    text = (await request.post()).get("text")
    text = text if isinstance(text, str) else ""
    async with klbot(request).sessions() as session, session.begin():
        row = await _found(session, request)
        if not text.strip():
            problem = T.EMPTY_ANSWER(who.lang)
            return await _page(request, session, row, status=422, problem=problem)
        done = await feedback.send_answer(
            session, row, text=text, author=who.identity, limit=_answer_limit(request)
        )
        if not done.sent:
            problem = done.said(who.lang)
            return await _page(request, session, row, status=422, problem=problem, draft=text)
    raise web.HTTPSeeOther(f"/web/feedback/{row.reference}?done=sent")


@routes.post("/web/feedback/{reference}/close")
@page(roles=STAFF)
async def close(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session, session.begin():
        row = await _found(session, request)
        await feedback.close(session, row, by=visitor(request).identity)
    raise web.HTTPSeeOther(f"/web/feedback/{row.reference}?done=closed")


@routes.post("/web/feedback/{reference}/reopen")
@page(roles=STAFF)
async def reopen(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session, session.begin():
        row = await _found(session, request)
        await feedback.reopen(session, row, by=visitor(request).identity)
    raise web.HTTPSeeOther(f"/web/feedback/{row.reference}?done=reopened")
