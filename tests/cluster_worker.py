"""One klbot sender of a cluster, for the scale-out test: sends the outbox to a fake platform
over HTTP at its share of the platform's limit, until the outbox is empty.

Usage: python -m tests.cluster_worker DATABASE_URL PLATFORM_URL LIMIT IDEMPOTENT
IDEMPOTENT ``1``: the platform recognises a resend by its key (as Matrix does); ``0``: it
cannot (as Telegram cannot).
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp

from bot.adapters import RateLimited, TransientError
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from bot.runtime.membership import wait
from storage import outbox


class HttpPlatform:
    """Posts each message with the moment klbot sent it; a 429 becomes ``RateLimited``."""

    platform = "matrix"

    def __init__(self, url: str, idempotent: bool) -> None:
        self.url = url
        self.idempotent = idempotent
        self.connected = self.ready = True
        self.http = aiohttp.ClientSession()

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str,
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        body = {"key": key, "chat": str(chat), "at": time.time()}
        async with self.http.post(self.url, json=body) as response:
            if response.status == 429:
                raise RateLimited((await response.json())["retry_after"])
            if response.status != 200:
                raise TransientError(f"HTTP {response.status}")
        return key


IN_FLIGHT = 8
"""The most sends under way at once per worker: a kill leaves at most these in doubt."""


async def main(url: str, platform_url: str, limit: float, idempotent: bool) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app:
        adapter = HttpPlatform(platform_url, idempotent)
        sender = OutboxSender(
            app.sessions,
            {"matrix": adapter},  # type: ignore[dict-item]
            {"matrix": Rates(limit, 1e9, in_flight=IN_FLIGHT)},
            stale_after=2,
            lease=2,
        )
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        while not await wait(stop, 0.5):
            async with app.sessions() as session:
                if not await outbox.unfinished(session, platforms=["matrix"]):
                    stop.set()
        await sending
        await adapter.http.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"))
