"""The start page (charts for staff and board) and the weekly digest (read-only)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.web import texts as T
from bot.web.charts import start_charts
from bot.web.feedback import topic_names
from bot.web.server import READERS, klbot, page, render, visitor
from handlers.digest import service as digest
from storage import feedback as store

routes = web.RouteTableDef()


@routes.get("/web/")
@page(roles=READERS)
async def start(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session:
        waiting = await store.count(session, statuses=["new", "read"])
        topics = await topic_names(request, session)
        zone = ZoneInfo(klbot(request).config.bot.timezone)
        charts = await start_charts(session, lang=visitor(request).lang, topics=topics, zone=zone)
    return render(request, "start.html", title=T.WELCOME, waiting=waiting, charts=charts)


@routes.get("/web/digest")
@page(roles=READERS)
async def weekly_digest(request: web.Request) -> web.StreamResponse:
    """This week's feedback digest, as board members receive it on Mondays."""
    app = klbot(request)
    now = datetime.now(ZoneInfo(app.config.bot.timezone))
    async with app.sessions() as session:
        composed = await digest.compose(
            session,
            knowledge=app.services.knowledge,
            lang=visitor(request).lang,
            since=now - digest.PERIOD,
            recent=app.config.feedback.digest_recent,
        )
    return render(request, "digest.html", title=T.DIGEST, digest=composed.text)
