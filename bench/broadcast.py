"""Broadcast delivery: bookkeeping speed, and keeping to a platform's rate limit.

Usage: .venv/bin/python -m bench.broadcast [RECIPIENTS] [LIMITED]

1. RECIPIENTS (10,000) delivery rows through a fake adapter with zero latency, on SQLite:
   deliveries per second of klbot's own bookkeeping (target ≥ 1,000/s).
2. LIMITED (300) messages to a fake Bot API that allows 30/s and answers 429 beyond:
   klbot's sender beside a naive loop through python-telegram-bot's AIORateLimiter, in
   the same run: achieved rate as % of the limit, and 429s (target ≥ 95 %, zero 429s).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time

from bot.adapters.telegram import TelegramAdapter
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from bot.runtime.delivery import OutboxSender
from storage import outbox
from storage.platform import AdapterState
from tests.telegram.flood_fake import FloodFake

LIMIT = 30


class InstantAdapter:
    """Delivers nothing, instantly: what is left is klbot's own bookkeeping."""

    platform = "telegram"

    def __init__(self, idempotent: bool) -> None:
        self.idempotent = idempotent
        self.connected = self.ready = True
        self.sent = 0

    async def send(self, chat: Identity, reply: Reply, key: str = "") -> str | None:
        self.sent += 1
        return str(self.sent)


async def fill(app: App, count: int) -> None:
    async with app.sessions() as session, session.begin():
        for number in range(count):
            await outbox.enqueue(
                session,
                chat=f"telegram:{10_000 + number}",
                text="Neuigkeit",
                dedupe_key=f"bench:{number}",
            )


async def drain(sender: OutboxSender, app: App, total: int) -> float:
    start = time.perf_counter()
    while True:
        await sender.send_due()
        async with app.sessions() as session:
            if not await outbox.unfinished(session, platforms=["telegram"]):
                break
    return time.perf_counter() - start


async def bookkeeping(config: Config, recipients: int, *, idempotent: bool) -> None:
    async with App.open(config) as app:
        await fill(app, recipients)
        adapter = InstantAdapter(idempotent)
        sender = OutboxSender(
            app.sessions,
            {"telegram": adapter},  # type: ignore[dict-item]
            {"telegram": (1e9, 1e9)},
        )
        seconds = await drain(sender, app, recipients)
    kind = "claimed in batches (Matrix-like)" if idempotent else "claimed one by one (Telegram)"
    print(
        f"bookkeeping, {kind}: {adapter.sent} deliveries in {seconds:.1f} s = "
        f"{adapter.sent / seconds:,.0f}/s (target ≥ 1,000/s)"
    )


async def klbot_rate(config: Config, count: int) -> tuple[float, int]:
    fake = FloodFake(per_second=LIMIT)
    url = await fake.start()
    try:
        async with App.open(config) as app:
            settings = config.telegram.model_copy(
                update={"enabled": True, "token": "1:BENCH", "base_url": f"{url}/bot"}
            )
            adapter = TelegramAdapter(settings, AdapterState(app.sessions))
            await adapter.bot.initialize()
            await fill(app, count)
            sender = OutboxSender(app.sessions, {"telegram": adapter}, {"telegram": (LIMIT, 1)})
            seconds = await drain(sender, app, count)
            await adapter.bot.shutdown()
    finally:
        await fake.stop()
    return len(fake.sent) / seconds, fake.refused


async def naive_rate(count: int) -> tuple[float, int]:
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot

    fake = FloodFake(per_second=LIMIT)
    url = await fake.start()
    refused_by_bot = 0
    try:
        bot = ExtBot(
            "1:BENCH",
            base_url=f"{url}/bot",
            rate_limiter=AIORateLimiter(overall_max_rate=LIMIT, max_retries=3),
        )
        await bot.initialize()
        start = time.perf_counter()
        for number in range(count):
            try:
                await bot.send_message(chat_id=20_000 + number, text="Neuigkeit")
            except RetryAfter:
                refused_by_bot += 1
        seconds = time.perf_counter() - start
        await bot.shutdown()
    finally:
        await fake.stop()
    return len(fake.sent) / seconds, fake.refused


async def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    limited = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with tempfile.TemporaryDirectory() as folder:

        def config(name: str) -> Config:
            return load_config(
                None, env={"KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/{name}.sqlite3"}
            )

        await bookkeeping(config("batched"), recipients, idempotent=True)
        await bookkeeping(config("single"), recipients, idempotent=False)
        ours, our_429 = await klbot_rate(config("rate"), limited)
        naive, naive_429 = await naive_rate(limited)
    print(f"rate limit {LIMIT}/s, {limited} messages to different chats:")
    print(
        f"  klbot sender:                {ours:5.1f}/s = {100 * ours / LIMIT:5.1f} % of the "
        f"limit, {our_429} × 429"
    )
    print(
        f"  naive loop + AIORateLimiter: {naive:5.1f}/s = {100 * naive / LIMIT:5.1f} % of the "
        f"limit, {naive_429} × 429"
    )
    print("targets: ≥ 95 % of the limit with zero 429s")


if __name__ == "__main__":
    asyncio.run(main())
