"""A thin proxy that makes telegram-test-api 4.2.1 speak the Bot API python-telegram-bot 22 expects.

What it fixes, and nothing else:
- getMe lacks ``is_bot`` (PTB refuses to start);
- sendMessage returns ``date`` in milliseconds (PTB cannot parse it);
- methods the emulator lacks (setMyCommands, sendChatAction, …) answer HTTP 500: here ``ok``;
- getUpdates ignores ``timeout`` and ``offset``: here it long-polls, and keeps every update
  until an offset confirms it, as Telegram does;
- callback queries carry a message without ``message_id`` and ``date``: both are added;
- editMessageText answers ``result: null`` (PTB cannot read it): here the edited message,
  as Telegram answers;
- update ids start again at 1 when the emulator restarts: here they keep counting up.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import ClientSession, web

EMULATED = {
    "getMe",
    "getUpdates",
    "sendMessage",
    "answerCallbackQuery",
    "deleteMessage",
    "deleteWebhook",
    "editMessageText",
    "editMessageReplyMarkup",
    "setWebhook",
}


class CompatProxy:
    """Serves the Bot API on 127.0.0.1, forwarding to the emulator at ``upstream``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.last_update_id: dict[str, int] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.client: ClientSession | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.documents: list[tuple[int, str, bytes]] = []
        """(chat id, file name, content) of each document sent."""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.bot_api)
        self.runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.client = ClientSession()
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.client is not None:
            await self.client.close()

    async def bot_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        if method == "sendDocument":  # the emulator has no files: keep them here
            return web.json_response({"ok": True, "result": await self.document(request)})
        if method not in EMULATED:
            return web.json_response({"ok": True, "result": True})
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self.updates(token, params)})
        status, body = await self.forward(token, method, params)
        if method == "getMe" and body.get("ok"):
            body["result"] |= {
                "is_bot": True,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage" and body.get("ok"):
            result = body["result"]
            result["date"] = int(result["date"]) // 1000
            result["from"] = {
                "id": 666,
                "is_bot": True,
                "first_name": "Test First name",
                "username": "TestNameBot",
            }
        if method == "editMessageText" and body.get("ok") and body.get("result") is None:
            body["result"] = {
                "message_id": int(params["message_id"]),
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params["text"],
            }
        return web.json_response(body, status=status)

    async def document(self, request: web.Request) -> dict[str, Any]:
        """Keep a document sent with ``sendDocument``; the Message Telegram answers."""
        form = await request.post()
        upload: Any = form["document"]
        chat_id = int(str(form["chat_id"]))
        self.documents.append((chat_id, upload.filename, upload.file.read()))
        return {
            "message_id": 100_000 + len(self.documents),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "document": {
                "file_id": f"doc{len(self.documents)}",
                "file_unique_id": f"doc{len(self.documents)}",
                "file_name": upload.filename,
            },
        }

    async def forward(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        assert self.client is not None
        url = f"{self.upstream}/bot{token}/{method}"
        try:
            async with self.client.post(url, json=params) as response:
                return response.status, await response.json(content_type=None)
        except OSError:  # the emulator is away: what Telegram's front answers then
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}

    async def updates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        pending = self.pending.setdefault(token, [])
        while True:
            status, body = await self.forward(token, "getUpdates", {})
            if status != 200:
                raise web.HTTPBadGateway(text=json.dumps(body), content_type="application/json")
            for update in body.get("result", []):
                self.last_update_id[token] = self.last_update_id.get(token, 0) + 1
                pending.append(_fixed(update) | {"update_id": self.last_update_id[token]})
            pending[:] = [u for u in pending if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return list(pending)
            await asyncio.sleep(0.05)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = dict(request.query)
    for key, value in form.items():
        text = value if isinstance(value, str) else ""
        try:
            params[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            params[key] = text
    return params


def _fixed(update: dict[str, Any]) -> dict[str, Any]:
    query = update.get("callback_query")
    if query:
        query.setdefault("chat_instance", str(query["from"]["id"]))
    if query and isinstance(query.get("message"), dict):
        query["message"].setdefault("message_id", 1)
        query["message"].setdefault("date", int(time.time()))
    return update
