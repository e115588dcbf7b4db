"""Receiving Telegram updates by webhook (aiohttp), the secret token checked on every request."""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Update

from bot.adapters import UpdateHandler

if TYPE_CHECKING:
    from bot.adapters.telegram import TelegramAdapter

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def serve_webhook(adapter: TelegramAdapter, handle: UpdateHandler) -> web.AppRunner:
    """Listen on the configured address and path; answer 200 only once an update is handled."""
    settings = adapter.settings

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret, settings.webhook_secret):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), adapter.bot)
        except Exception:
            log.warning("telegram webhook: an unreadable update was ignored")
            return web.Response(status=200)  # resending it would not help
        if update is None or await adapter.process(update, handle):
            return web.Response(status=200)
        return web.Response(status=503)  # Telegram retries it later

    app = web.Application()
    app.router.add_post(settings.webhook_path, receive)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    log.info("telegram webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
    return runner
