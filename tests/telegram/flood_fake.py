"""A Bot API fake that behaves like Telegram where delivery notices it: each request takes
``latency`` seconds (half on the way there, half back: a server in Germany sees 80–200 ms),
flood control answers HTTP 429 with ``parameters.retry_after`` beyond ``per_second``, and
``allow_paid_broadcast`` raises that to ``paid_per_second`` while the bot's Stars last.
Faults on demand: chats that blocked the bot (403), a run of 5xx answers. Only what
delivery needs: getMe, sendMessage and editMessageText."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

PAID_FEE = 0.1
"""Stars per paid message above the free limit (Telegram's Bot API documentation)."""


def _error(code: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _params(request: web.Request) -> dict[str, Any]:
    """A request's parameters, sent as JSON or as a form (Telegram takes both)."""
    if request.content_type == "application/json":
        return dict(await request.json())
    return dict(await request.post())


class FloodFake:
    """Accepts ``per_second`` messages a second overall; answers 429 beyond that."""

    def __init__(
        self,
        per_second: int,
        *,
        latency: float = 0.0,
        paid_per_second: int = 1000,
        stars: float = 0.0,
    ) -> None:
        self.per_second, self.paid_per_second = per_second, paid_per_second
        self.latency = latency
        self.stars = stars
        """The bot's balance: paid messages above the free limit cost ``PAID_FEE`` each."""
        self.sent: list[tuple[float, int, str]] = []
        self.edits: list[tuple[int, int, str]] = []
        self.refused = 0
        self.paid = 0
        self.in_flight = self.most_in_flight = 0
        self.requests: list[tuple[float, int, int]] = []
        """(arrival, chat, HTTP status) of every sendMessage."""
        self.chats_in_flight: set[int] = set()
        self.overlaps = 0
        """Requests that arrived while one to the same chat was still under way."""
        self.blocked: set[int] = set()
        self.failing = 0
        """The next this many sendMessage requests answer 502 Bad Gateway."""
        self._window: deque[float] = deque()
        """Arrival times of the messages accepted within the last second."""
        self.by_chat: dict[int, list[str]] = defaultdict(list)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.api)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def api(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        chat = None
        try:
            await asyncio.sleep(self.latency / 2)  # on the way to Telegram
            if request.match_info["method"] == "sendMessage":
                chat = int((await _params(request))["chat_id"])
                self.overlaps += chat in self.chats_in_flight
                self.chats_in_flight.add(chat)
            answer = await self._answer(request)
            if chat is not None:
                self.requests.append((time.monotonic(), chat, answer.status))
            await asyncio.sleep(self.latency / 2)  # and back
            return answer
        finally:
            self.in_flight -= 1
            if chat is not None:
                self.chats_in_flight.discard(chat)

    async def _answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Fake", "username": "FakeBot"}
            return web.json_response({"ok": True, "result": me})
        form = await _params(request)
        if method == "editMessageText":
            self.edits.append((int(form["chat_id"]), int(form["message_id"]), form["text"]))
            return web.json_response({"ok": True, "result": True})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        if self.failing > 0:
            self.failing -= 1
            return _error(502, "Bad Gateway")
        chat = int(form["chat_id"])
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        paid = str(form.get("allow_paid_broadcast", "")).lower() == "true"
        if paid and len(self._window) >= self.per_second and self.stars < PAID_FEE:
            return _error(400, "Bad Request: not enough Stars to send paid broadcast")
        if len(self._window) >= (self.paid_per_second if paid else self.per_second):
            self.refused += 1
            wait = max(1, int(1.0 - (now - self._window[0])) + 1)
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        if paid and len(self._window) >= self.per_second:
            self.stars -= PAID_FEE
            self.paid += 1
        self._window.append(now)
        self.sent.append((now, chat, str(form["text"])))
        self.by_chat[chat].append(str(form["text"]))
        message = {
            "message_id": len(self.sent),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": form["text"],
        }
        return web.json_response({"ok": True, "result": message})
