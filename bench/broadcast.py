"""Broadcast delivery: bookkeeping speed, and the rate reached over a real network.

Usage: .venv/bin/python -m bench.broadcast [RECIPIENTS] [LIMITED] [REPEATS]

1. RECIPIENTS (10,000) delivery rows through a fake adapter with zero latency, on SQLite:
   deliveries per second of klbot's own bookkeeping (target ≥ 1,000/s).
2. LIMITED (600) messages to a fake Bot API (its own process) that answers after 80 ms
   and after 200 ms, allows 30/s and answers 429 beyond: klbot's pipelined sender beside
   two baselines measured in the same run, one message at a time (klbot before
   pipelining, ``in_flight = 1``) and a naive loop through python-telegram-bot's
   AIORateLimiter. Medians of REPEATS (3) runs: wall-clock rate from the first request to
   the last answer, and the steady rate the fake saw from its first message accepted to
   its last; targets ≥ 95 % of the limit, zero 429s.
3. A paid broadcast (Telegram Stars) at a 1,000/s limit with 80 ms: target ≥ 900/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.adapters.telegram import TelegramAdapter
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.config import Config, load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from storage import outbox
from storage.platform import AdapterState
from tests.telegram.flood_fake import FloodFake

LIMIT = 30
PAID_LIMIT = 1000
LATENCIES = (0.08, 0.2)


class InstantAdapter:
    """Delivers nothing, instantly: what is left is klbot's own bookkeeping."""

    platform = "telegram"

    def __init__(self, idempotent: bool) -> None:
        self.idempotent = idempotent
        self.connected = self.ready = True
        self.sent = 0

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        self.sent += 1
        return str(self.sent)


@dataclass(frozen=True)
class Seen:
    """What the fake Bot API saw."""

    sent: int
    refused: int
    paid: int
    most_in_flight: int
    twice: int
    """Chats that got the same text twice."""
    span: float
    """Seconds from the first message accepted to the last."""

    @property
    def steady(self) -> float:
        """Messages a second as the platform saw them, start-up and the last answer aside."""
        return (self.sent - 1) / self.span if self.span > 0 else float("nan")


def _serve(connection: Connection, options: dict[str, Any]) -> None:
    """The fake Bot API in a process of its own (klbot's CPU is not the fake's)."""

    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # clients killed on purpose

    async def serve() -> None:
        fake = FloodFake(**options)
        connection.send(await fake.start())
        await asyncio.get_running_loop().run_in_executor(None, connection.recv)
        twice = sum(len(texts) != len(set(texts)) for texts in fake.by_chat.values())
        span = fake.sent[-1][0] - fake.sent[0][0] if fake.sent else 0.0
        seen = Seen(len(fake.sent), fake.refused, fake.paid, fake.most_in_flight, twice, span)
        connection.send(seen)
        await fake.stop()

    asyncio.run(serve())


class FakeBotApi:
    """Starts :class:`FloodFake` in another process; ``stop`` returns what it saw."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    async def start(self) -> str:
        self.connection, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, self.options), daemon=True
        )
        self.process.start()
        url: str = await asyncio.to_thread(self.connection.recv)
        return url

    async def stop(self) -> Seen:
        self.connection.send("stop")
        seen: Seen = await asyncio.to_thread(self.connection.recv)
        self.process.join(5)
        return seen


async def fill(app: App, count: int, *, paid: bool = False) -> None:
    async with app.sessions() as session, session.begin():
        await outbox.enqueue_many(
            session,
            (
                outbox.Owed(f"telegram:{10_000 + n}", "Neuigkeit", f"bench:{n}", paid)
                for n in range(count)
            ),
        )


async def drain(sender: OutboxSender, app: App) -> float:
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
        seconds = await drain(sender, app)
    kind = "claimed in batches (Matrix-like)" if idempotent else "claimed as sent (Telegram)"
    print(
        f"bookkeeping, {kind}: {adapter.sent} deliveries in {seconds:.1f} s = "
        f"{adapter.sent / seconds:,.0f}/s (target ≥ 1,000/s)"
    )


async def klbot_rate(
    config: Config, count: int, latency: float, *, in_flight: int = 100, paid: bool = False
) -> tuple[float, Seen]:
    """Messages a second klbot's sender reaches against the fake, and what the fake saw."""
    fake = FakeBotApi(per_second=LIMIT, latency=latency, stars=1e9)
    url = await fake.start()
    seconds = float("nan")
    try:
        async with App.open(config) as app:
            settings = config.telegram.model_copy(
                update={
                    "enabled": True,
                    "token": "1:BENCH",
                    "base_url": f"{url}/bot",
                    "max_in_flight": in_flight,
                }
            )
            adapter = TelegramAdapter(settings, AdapterState(app.sessions))
            await adapter.bot.initialize()
            await fill(app, count, paid=paid)
            rates = Rates(LIMIT, 1, paid=PAID_LIMIT if paid else None, in_flight=in_flight)
            sender = OutboxSender(app.sessions, {"telegram": adapter}, {"telegram": rates})
            seconds = await drain(sender, app)
            await adapter.bot.shutdown()
    finally:
        seen = await fake.stop()
    return seen.sent / seconds, seen


async def naive_rate(count: int, latency: float) -> tuple[float, Seen]:
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot

    fake = FakeBotApi(per_second=LIMIT, latency=latency)
    url = await fake.start()
    try:
        bot = ExtBot(
            "1:BENCH",
            base_url=f"{url}/bot",
            rate_limiter=AIORateLimiter(overall_max_rate=LIMIT, max_retries=3),
        )
        await bot.initialize()
        start = time.perf_counter()
        for number in range(count):
            with contextlib.suppress(RetryAfter):
                await bot.send_message(chat_id=20_000 + number, text="Neuigkeit")
        seconds = time.perf_counter() - start
        await bot.shutdown()
    finally:
        seen = await fake.stop()
    return seen.sent / seconds, seen


def _median(runs: list[tuple[float, Seen]]) -> str:
    rates = [rate for rate, _ in runs]
    refused = sum(seen.refused for _, seen in runs)
    twice = sum(seen.twice for _, seen in runs)
    most = max(seen.most_in_flight for _, seen in runs)
    middle = statistics.median(rates)
    steady = statistics.median(seen.steady for _, seen in runs)
    return (
        f"{middle:5.1f}/s = {100 * middle / LIMIT:5.1f} % of {LIMIT}/s, steady "
        f"{100 * steady / LIMIT:5.1f} % (runs {', '.join(f'{r:.1f}' for r in rates)}; "
        f"{refused} × 429, {twice} twice, ≤ {most} in flight)"
    )


async def rates(config: Callable[[str], Config], limited: int, repeats: int) -> None:
    slow = max(30, limited // 4)  # the baselines need a minute for 300 at 200 ms
    for latency in LATENCIES:
        ours, single, naive = [], [], []
        for run in range(repeats):
            ours.append(await klbot_rate(config(f"ours{latency}{run}"), limited, latency))
            single.append(
                await klbot_rate(config(f"one{latency}{run}"), slow, latency, in_flight=1)
            )
            naive.append(await naive_rate(slow, latency))
        print(f"{latency * 1000:.0f} ms per request, {limited} messages to different chats:")
        print(f"  klbot, pipelined:            {_median(ours)}")
        print(f"  klbot, one at a time:        {_median(single)}  ({slow} messages)")
        print(f"  naive loop + AIORateLimiter: {_median(naive)}  ({slow} messages)")
        ratio = statistics.median(r for r, _ in ours) / statistics.median(r for r, _ in single)
        print(f"  pipelined / one at a time: {ratio:.2f}×")
    print("targets: ≥ 95 % of the limit with zero 429s")


async def paid(config: Callable[[str], Config], count: int, repeats: int) -> None:
    runs = [
        await klbot_rate(config(f"paid{run}"), count, 0.08, in_flight=200, paid=True)
        for run in range(repeats)
    ]
    middle = statistics.median(rate for rate, _ in runs)
    steady = statistics.median(seen.steady for _, seen in runs)
    print(
        f"paid broadcast, limit {PAID_LIMIT}/s, 80 ms, {count} messages: {middle:,.0f}/s, "
        f"steady {steady:,.0f}/s "
        f"(runs {', '.join(f'{r:,.0f}' for r, _ in runs)}; "
        f"{sum(s.refused for _, s in runs)} × 429, {sum(s.twice for _, s in runs)} twice, "
        f"≤ {max(s.most_in_flight for _, s in runs)} in flight; target ≥ 900/s)"
    )


async def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    limited = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory() as folder:

        def config(name: str) -> Config:
            return load_config(
                None, env={"KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/{name}.sqlite3"}
            )

        await bookkeeping(config("batched"), recipients, idempotent=True)
        await bookkeeping(config("single"), recipients, idempotent=False)
        await paid(config, 5000, repeats)
        await rates(config, limited, repeats)


if __name__ == "__main__":
    asyncio.run(main())
