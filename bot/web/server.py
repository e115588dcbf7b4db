"""The web console's aiohttp application: who is signed in, what they may do, security
headers, error pages; ``klbot run`` serves it when ``[web] enabled``."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.core import i18n
from bot.core.i18n import LANGUAGES, Text, language_from_hint
from bot.core.roles import Role
from bot.runtime.app import App
from bot.web import texts as T
from handlers.web.service import CONSOLE_ROLES, SESSION_IDLE, roles_of
from storage import Session, people
from storage import web as store

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "klbot_session"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Scripts only from the console's own static files (nothing inline), which may fetch
only from the console."""
APP = web.AppKey("klbot", App)
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates", jinja2.Environment)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NAV = [
    ("/web/", T.NAV_START, False),
    ("/web/feedback", T.NAV_FEEDBACK, True),
    ("/web/announcements", T.NAV_ANNOUNCEMENTS, True),
    ("/web/knowledge", T.NAV_KNOWLEDGE, True),
    ("/web/digest", T.NAV_DIGEST, False),
]
"""The main menu: address, name, staff only."""
STAFF = frozenset({Role.STAFF})
READERS = frozenset({Role.STAFF, Role.BOARD})


@dataclass(frozen=True)
class Visitor:
    """The person behind a request: signed in (``identity``) or not."""

    lang: str
    identity: str = ""
    roles: frozenset[Role] = frozenset()
    csrf: str = ""

    @property
    def staff(self) -> bool:
        return Role.STAFF in self.roles


VISITOR: web.RequestKey[Visitor] = web.RequestKey("visitor", Visitor)


def page(*, roles: Iterable[Role]) -> Callable[[Handler], Handler]:
    """Who may open a page: a signed-in person holding one of ``roles``; checked on every
    request, and every POST needs staff and the session's form token."""

    def mark(handler: Handler) -> Handler:
        handler.web_roles = frozenset(roles)  # type: ignore[attr-defined]
        return handler

    return mark


def public(handler: Handler) -> Handler:
    """A page anyone may open (signing in)."""
    handler.web_roles = frozenset()  # type: ignore[attr-defined]
    return handler


def klbot(request: web.Request) -> App:
    return request.app[APP]


def sessions(request: web.Request) -> Any:
    """A new database session (``async with sessions(request) as s, s.begin():``)."""
    return klbot(request).sessions()


def visitor(request: web.Request) -> Visitor:
    return request[VISITOR]


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    """``template`` filled in the visitor's language (escaped everywhere)."""
    who = visitor(request)
    config = klbot(request).config
    zone = ZoneInfo(config.bot.timezone)

    def t(text: Any, **more: Any) -> str:
        return str(text(who.lang, **more))

    def when(moment: datetime, with_time: bool = True) -> str:
        local = moment.astimezone(zone)
        return i18n.moment(local, who.lang) if with_time else i18n.day(local, who.lang)

    body = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(
            T=T, t=t, when=when, visitor=who, nav=NAV, lang=who.lang, path=request.path, **values
        )
    )
    return web.Response(text=body, status=status, content_type="text/html")


def refusal(
    request: web.Request, status: int, title: Text, message: Text, **values: Any
) -> web.Response:
    return render(
        request, "message.html", status=status, title=title, message=message, values=values
    )


def _accepted_language(request: web.Request, default: str) -> str:
    for part in request.headers.get("Accept-Language", "").split(","):
        lang = language_from_hint(part.split(";")[0])
        if lang is not None:
            return lang
    return default


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response: a strict Content-Security-Policy, no framing, no referrer (a login
    link's token never leaves in a Referer header), pages not cached."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and refusals aiohttp raises
        _secure(request, exc)
        raise
    _secure(request, response)
    return response


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith("/web/static/"):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as pages in the visitor's language; no traceback reaches anyone."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return refusal(request, 404, T.NOT_FOUND_TITLE, T.NOT_FOUND)
    except web.HTTPMethodNotAllowed:
        return refusal(request, 405, T.ERROR_TITLE, T.NOT_FOUND)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("web console: %s %s failed", request.method, request.path)
        return refusal(request, 500, T.ERROR_TITLE, T.SERVER_ERROR)


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking, checked on every request: a live session, a role that may open the
    page, and for a POST the session's form token (403 without it)."""
    app = klbot(request)
    config = app.config
    request[VISITOR] = Visitor(_accepted_language(request, config.bot.default_language))
    allowed: frozenset[Role] | None = getattr(_endpoint(request), "web_roles", None)
    if (allowed is not None and not allowed) or request.path.startswith("/web/static/"):
        return await handler(request)
    token = request.cookies.get(COOKIE, "")
    async with app.sessions() as session, session.begin():
        row = (
            await store.current_session(session, token=token, idle=SESSION_IDLE) if token else None
        )
        if row is None:
            return refusal(request, 401, T.SIGN_IN_TITLE, T.NOT_SIGNED_IN)
        roles = await roles_of(session, config, row.identity)
        lang = await _language(session, row.identity, config.bot.default_language)
        request[VISITOR] = Visitor(lang, row.identity, roles, row.csrf)
        if not roles & CONSOLE_ROLES:
            await store.end_session(session, token=token)
            return refusal(request, 403, T.REFUSED_TITLE, T.NO_CONSOLE_ROLE, identity=row.identity)
        csrf = row.csrf
    if allowed is None:  # no page here: static files and unknown paths
        return await handler(request)
    if request.method == "POST":
        form = await request.post()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf):
            log.warning(
                "web console: %s %s without a valid form token", request.method, request.path
            )
            return refusal(request, 403, T.REFUSED_TITLE, T.FORM_EXPIRED)
        if Role.STAFF not in roles and request.path != "/web/logout":  # the board reads
            return refusal(request, 403, T.REFUSED_TITLE, T.NOT_ALLOWED)
    if not roles & allowed:
        return refusal(request, 403, T.REFUSED_TITLE, T.NOT_ALLOWED)
    return await handler(request)


def _endpoint(request: web.Request) -> object:
    """The function behind the route (``None`` for static files and unknown paths)."""
    info = request.match_info
    if isinstance(info, web.UrlMappingMatchInfo) and info.route.resource is not None:
        handler = info.route.handler
        return handler if callable(handler) and hasattr(handler, "web_roles") else None
    return None


async def _language(session: Session, identity: str, default: str) -> str:
    person = await people.find_person(session, identity=identity)
    lang = person.language_or(default) if person is not None else default
    return lang if lang in LANGUAGES else default


def console(app: App) -> web.Application:
    """The web console over ``app``'s database and services."""
    from bot.web import announcements, feedback, knowledge, overview, signin

    application = web.Application(
        middlewares=[security_headers, error_pages, signed_in], client_max_size=4 * 1024**2
    )
    application[APP] = app
    application[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    application.router.add_static("/web/static", HERE / "static")
    for module in (signin, overview, feedback, announcements, knowledge):
        application.router.add_routes(module.routes)
    return application


async def serve_web(app: App) -> web.AppRunner:
    """Serve the console on ``[web] bind``; ``cleanup()`` the runner to stop it."""
    settings = app.config.web
    runner = web.AppRunner(console(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("web console on %s (%s)", settings.bind, settings.public_url)
    return runner
