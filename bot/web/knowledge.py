"""Knowledge: the entries of the current knowledge base, the questions it could not
answer (teach one to an entry), reloading the configured file, importing a file with
its problems shown field by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.knowledge.schema import KnowledgeError
from bot.web import texts as T
from bot.web.server import STAFF, klbot, page, render, visitor
from handlers.catalogue import entries
from handlers.questions.chat import RELOAD_FAILED, reloaded
from handlers.questions.gaps import TAUGHT, gap_report
from storage import Session
from storage import knowledge as knowledge_store
from storage import roles as audit_log

routes = web.RouteTableDef()

GAP_DAYS = 30
LARGEST_FILE = 2 * 1024**2


@dataclass(frozen=True)
class GapShown:
    ref: int
    count: int
    question: str
    report: list[str]
    answered: bool
    candidates: list[tuple[str, str]]


async def _page(
    request: web.Request,
    session: Session,
    *,
    status: int = 200,
    notice: str = "",
    problems: list[str] | None = None,
) -> web.Response:
    lang = visitor(request).lang
    loaded = await klbot(request).services.knowledge.current(session)
    found = await knowledge_store.gaps(
        session, since=datetime.now(UTC) - timedelta(days=GAP_DAYS), limit=20
    )
    every = [(entry.id, entries.title(entry, lang)) for entry in loaded.kb.entries()]
    gaps = []
    for gap in found:
        outcome = await loaded.ask(gap.question)
        closest = [(e.id, entries.title(e, lang)) for e in outcome.choices]
        others = [pair for pair in every if pair not in closest]
        report = gap_report(loaded, gap, outcome, lang)[1:]
        gaps.append(
            GapShown(
                gap.ref,
                gap.count,
                gap.question,
                report,
                outcome.answer is not None,
                closest + others,
            )
        )
    return render(
        request,
        "knowledge.html",
        status=status,
        title=T.KNOWLEDGE,
        loaded=loaded,
        kinds=[(entry, _kind(entry)) for entry in loaded.kb.entries()],
        entry_title=lambda entry: entries.title(entry, lang),
        gaps=gaps,
        days=GAP_DAYS,
        notice=notice,
        problems=problems or [],
    )


def _kind(entry: object) -> str:
    return type(entry).__name__.lower()


@routes.get("/web/knowledge")
@page(roles=STAFF)
async def knowledge(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session, session.begin():
        return await _page(request, session)


@routes.post("/web/knowledge/reload")
@page(roles=STAFF)
async def reload(request: web.Request) -> web.StreamResponse:
    """Re-read the configured file, as /reload does; a broken file changes nothing."""
    who = visitor(request)
    app = klbot(request)
    async with app.sessions() as session, session.begin():
        try:
            loaded = await app.services.knowledge.reload(session)
        except KnowledgeError as exc:
            said = RELOAD_FAILED(who.lang, problems="").strip()
            return await _page(request, session, status=422, notice=said, problems=exc.problems)
        await audit_log.audit(
            session, actor=who.identity, action="web-reload", detail=f"version {loaded.version}"
        )
        return await _page(request, session, notice=reloaded(loaded, who.lang))


@routes.post("/web/knowledge/import")
@page(roles=STAFF)
async def import_file(request: web.Request) -> web.StreamResponse:
    """Import an uploaded content file; its problems are listed field by field."""
    who = visitor(request)
    app = klbot(request)
    upload = (await request.post()).get("file")
    async with app.sessions() as session, session.begin():
        if not isinstance(upload, web.FileField) or not upload.filename:
            return await _page(request, session, status=422, problems=[T.NO_FILE(who.lang)])
        raw = upload.file.read(LARGEST_FILE + 1)
        name = upload.filename[:200]
        if len(raw) > LARGEST_FILE:
            problem = T.FILE_TOO_LARGE(who.lang, name=name, limit="2 MB")
            return await _page(request, session, status=422, problems=[problem])
        try:
            text = raw.decode("utf-8-sig")
            loaded = await app.services.knowledge.import_text(
                session, source=f"web:{name}", text=text
            )
        except UnicodeDecodeError:
            problem = T.NOT_UTF8(who.lang, name=name)
            return await _page(request, session, status=422, problems=[problem])
        except KnowledgeError as exc:
            said = RELOAD_FAILED(who.lang, problems="").strip()
            return await _page(request, session, status=422, notice=said, problems=exc.problems)
        await audit_log.audit(
            session, actor=who.identity, action="web-import", detail=f"{name}: {loaded.version}"
        )
        return await _page(request, session, notice=reloaded(loaded, who.lang))


@routes.post("/web/knowledge/teach")
@page(roles=STAFF)
async def teach(request: web.Request) -> web.StreamResponse:
    """Attach a gap's question to the entry that answers it (as /gaps' buttons do)."""
    who = visitor(request)
    app = klbot(request)
    form = await request.post()
    gap, entry_id = str(form.get("gap", "")), str(form.get("entry", ""))
    async with app.sessions() as session, session.begin():
        question = (
            await knowledge_store.unanswered(session, question_id=int(gap))
            if gap.isdecimal() and len(gap) < 18
            else None
        )
        loaded = await app.services.knowledge.current(session)
        entry = loaded.kb.entry(entry_id)
        if question is None or entry is None:
            return await _page(
                request, session, status=422, problems=[T.GAP_OR_ENTRY_GONE(who.lang)]
            )
        await app.services.knowledge.teach(session, question=question, entry_id=entry.id)
        await audit_log.audit(
            session, actor=who.identity, action="web-teach", detail=f"{entry.id}: {question[:100]}"
        )
        said = TAUGHT(who.lang, question=question[:200], title=entries.title(entry, who.lang))
        return await _page(request, session, notice=said)
