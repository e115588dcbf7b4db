"""A Bot API fake that enforces a rate limit exactly as Telegram reports it: HTTP 429 with
``parameters.retry_after``. Only what delivery needs: getMe and sendMessage."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from aiohttp import web


class FloodFake:
    """Accepts ``per_second`` messages a second overall; answers 429 beyond that."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.sent: list[tuple[float, int, str]] = []
        self.refused = 0
        self._window: list[float] = []
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
        method = request.match_info["method"]
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Fake", "username": "FakeBot"}
            return web.json_response({"ok": True, "result": me})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        form: Any = await request.post()
        now = time.monotonic()
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.per_second:
            self.refused += 1
            wait = max(1, int(1.0 - (now - self._window[0])) + 1)
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
                status=429,
            )
        self._window.append(now)
        chat = int(form["chat_id"])
        self.sent.append((now, chat, str(form["text"])))
        self.by_chat[chat].append(str(form["text"]))
        message = {
            "message_id": len(self.sent),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": form["text"],
        }
        return web.json_response({"ok": True, "result": message})
