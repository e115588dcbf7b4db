"""A browser without a browser: aiohttp's client against the web console, signing in
through a one-time link as a person would."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime.app import App
from bot.web.server import console
from handlers.web.service import login_link

Client = TestClient[web.Request, web.Application]


async def open_console(app: App) -> Client:
    """A client of ``app``'s web console that keeps cookies (also for 127.0.0.1)."""
    client: Client = TestClient(TestServer(console(app)), cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    return client


async def link_for(app: App, identity: str) -> str:
    """The path of a fresh login link for ``identity`` (as /web sends it)."""
    async with app.sessions() as session, session.begin():
        link = await login_link(session, app.config, identity)
    assert link is not None, f"{identity} may not sign in"
    return urlsplit(link).path


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


async def sign_in(client: Client, app: App, identity: str) -> str:
    """Open a link for ``identity``, press the button; the session's form token."""
    path = await link_for(app, identity)
    opened = await client.get(path)
    assert opened.status == 200, await opened.text()
    signed = await client.post("/web/login", data={"token": token_of(path)})
    assert signed.status == 200 and str(signed.url).endswith("/web/"), await signed.text()
    return csrf_in(await signed.text())


def csrf_in(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def text_of(page: str) -> str:
    """A page's visible text, roughly: tags dropped, entities read, spaces joined."""
    body = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())
