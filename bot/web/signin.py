"""Signing in with a one-time link (``/web`` in a chat, ``klbot web login``), signing out."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from bot.web import texts as T
from bot.web.server import (
    COOKIE,
    READERS,
    klbot,
    page,
    public,
    refusal,
    render,
    visitor,
)
from handlers.web.service import CONSOLE_ROLES, roles_of
from storage import Session
from storage import roles as audit_log
from storage import web as store
from storage.models import utcnow

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

FAILURES_ALLOWED = 10
"""Failed or reused links one address may try per :data:`FAILURE_WINDOW`."""
FAILURE_WINDOW = timedelta(minutes=15)
FAILED = "web-login-failed"


def _address(request: web.Request) -> str:
    return f"web:{request.remote or 'unknown'}"


async def _blocked(session: Session, request: web.Request) -> bool:
    since = utcnow() - FAILURE_WINDOW
    tried = await audit_log.count_actions(
        session, actor=_address(request), action=FAILED, since=since
    )
    return tried >= FAILURES_ALLOWED


async def _refused(
    session: Session, request: web.Request, problem: store.LinkProblem
) -> web.Response:
    """A link that does not check out: refused, and logged and audited unless this address
    has tried too many already (then only refused, so that probing fills no log). A valid
    link is never refused, whoever tried before from the same address (a proxy's)."""
    if await _blocked(session, request):
        return refusal(request, 429, T.SIGN_IN_TITLE, T.TOO_MANY_FAILURES)
    await audit_log.audit(session, actor=_address(request), action=FAILED, detail=problem.value)
    log.warning("web console: a %s login link was tried from %s", problem.value, request.remote)
    return refusal(request, 403, T.SIGN_IN_TITLE, T.LINK_INVALID)


@routes.get("/")
@routes.get("/web")
@public
async def root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/web/")


@routes.get("/web/login/{token}")
@public
async def confirm(request: web.Request) -> web.StreamResponse:
    """The link's page: a button that signs in (link previews only look, so they do not
    use up the link)."""
    token = request.match_info["token"]
    async with klbot(request).sessions() as session, session.begin():
        found = await store.check_login(session, token=token)
        if isinstance(found, store.LinkProblem):
            return await _refused(session, request, found)
    return render(request, "signin.html", title=T.SIGN_IN_TITLE, identity=found, token=token)


@routes.post("/web/login")
@public
async def sign_in(request: web.Request) -> web.StreamResponse:
    """Spend the link and open a session. The link's secret token is the form's token."""
    app = klbot(request)
    token = (await request.post()).get("token")
    async with app.sessions() as session, session.begin():
        found = await store.check_login(
            session, token=token if isinstance(token, str) else "", use=True
        )
        if isinstance(found, store.LinkProblem):
            return await _refused(session, request, found)
        if not await roles_of(session, app.config, found) & CONSOLE_ROLES:
            await audit_log.audit(session, actor=found, action=FAILED, detail="no role")
            return refusal(request, 403, T.REFUSED_TITLE, T.NO_CONSOLE_ROLE, identity=found)
        cookie, _ = await store.open_session(session, identity=found)
        await audit_log.audit(session, actor=found, action="web-login", detail=str(request.remote))
    response = web.HTTPSeeOther("/web/")
    response.set_cookie(
        COOKIE,
        cookie,
        path="/web",
        httponly=True,
        samesite="Strict",
        secure=app.config.web.public_url.startswith("https://"),
    )  # a session cookie: the server ends the session after SESSION_IDLE without a request
    raise response


@routes.post("/web/logout")
@page(roles=READERS)
async def sign_out(request: web.Request) -> web.StreamResponse:
    async with klbot(request).sessions() as session, session.begin():
        await store.end_session(session, token=request.cookies.get(COOKIE, ""))
        await audit_log.audit(
            session, actor=visitor(request).identity, action="web-logout", detail=""
        )
    response = web.HTTPSeeOther("/web/signed-out")
    response.del_cookie(COOKIE, path="/web")
    raise response


@routes.get("/web/signed-out")
@public
async def signed_out(request: web.Request) -> web.StreamResponse:
    return refusal(request, 200, T.SIGN_OUT, T.SIGNED_OUT)
