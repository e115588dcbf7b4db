"""Broadcast delivery: bookkeeping speed, and the rate reached over a real network.

Usage: .venv/bin/python -m bench.broadcast [RECIPIENTS] [LIMITED] [REPEATS] [--only PARTS]

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
4. The same on Matrix: klbot's Matrix adapter (matrix-nio, signed in with an access token,
   no password login) against a fake homeserver (its own process) that answers a message
   after 80 ms and after 200 ms and limits the account as Synapse's ``rc_message`` does:
   a bucket of one second's messages draining at 10/s (klbot's default rate for Matrix)
   or 50/s, 429 ``M_LIMIT_EXCEEDED`` with ``retry_after_ms`` beyond; a resend with the same
   transaction id is recognised, not shown twice. LIMITED × limit / 30 messages (20 s at
   the limit) beside one at a time (``in_flight = 1``) in the same run; medians of REPEATS,
   429s and resends counted. Target ≥ 95 % of the limit, zero 429s.

``--only bookkeeping,paid,telegram,matrix`` runs some of the four.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.core.events import Identity, Incoming, Reply, Surface
from bot.runtime.app import App, freeze_startup_heap
from bot.runtime.config import Config, load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from storage import outbox
from storage.platform import AdapterState
from tests.matrix.flood_fake import HomeserverFake
from tests.telegram.flood_fake import FloodFake

LIMIT = 30
PAID_LIMIT = 1000
LATENCIES = (0.08, 0.2)
MATRIX_LIMITS = (10, 50)
"""Messages a second the fake homeserver allows: klbot's default rate for Matrix, and a
homeserver that lets its bot send more (Synapse's ``override_ratelimit``)."""
PARTS = ("bookkeeping", "paid", "telegram", "matrix")


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
    resent: int = 0
    """Sends the platform recognised as a resend (Matrix transaction ids)."""

    @property
    def steady(self) -> float:
        """Messages a second as the platform saw them, start-up and the last answer aside."""
        return (self.sent - 1) / self.span if self.span > 0 else float("nan")


def _seen(fake: FloodFake | HomeserverFake) -> Seen:
    span = fake.sent[-1][0] - fake.sent[0][0] if fake.sent else 0.0
    if isinstance(fake, HomeserverFake):
        twice = sum(count > 1 for count in fake.by_room.values())
        sent, most = len(fake.sent), fake.most_in_flight
        return Seen(sent, fake.refused, 0, most, twice, span, fake.resent)
    twice = sum(len(texts) != len(set(texts)) for texts in fake.by_chat.values())
    return Seen(len(fake.sent), fake.refused, fake.paid, fake.most_in_flight, twice, span)


def _serve(connection: Connection, platform: str, options: dict[str, Any]) -> None:
    """The fake platform in a process of its own (klbot's CPU is not the fake's)."""

    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # clients killed on purpose

    async def serve() -> None:
        fake = HomeserverFake(**options) if platform == "matrix" else FloodFake(**options)
        connection.send(await fake.start())
        await asyncio.get_running_loop().run_in_executor(None, connection.recv)
        connection.send(_seen(fake))
        await fake.stop()

    asyncio.run(serve())


class FakeBotApi:
    """Starts :class:`FloodFake` (or, for ``platform="matrix"``, :class:`HomeserverFake`)
    in another process; ``stop`` returns what it saw."""

    def __init__(self, platform: str = "telegram", **options: Any) -> None:
        self.platform, self.options = platform, options

    async def start(self) -> str:
        self.connection, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, self.platform, self.options), daemon=True
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


async def drain(sender: OutboxSender, app: App, platform: str = "telegram") -> float:
    start = time.perf_counter()
    while True:
        await sender.send_due()
        async with app.sessions() as session:
            if not await outbox.unfinished(session, platforms=[platform]):
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
            freeze_startup_heap()  # as ``klbot run`` does once started
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


def _median(runs: list[tuple[float, Seen]], limit: float = LIMIT) -> str:
    rates = [rate for rate, _ in runs]
    refused = sum(seen.refused for _, seen in runs)
    twice = sum(seen.twice for _, seen in runs)
    resent = sum(seen.resent for _, seen in runs)
    most = max(seen.most_in_flight for _, seen in runs)
    middle = statistics.median(rates)
    steady = statistics.median(seen.steady for _, seen in runs)
    return (
        f"{middle:5.1f}/s = {100 * middle / limit:5.1f} % of {limit:g}/s, steady "
        f"{100 * steady / limit:5.1f} % (runs {', '.join(f'{r:.1f}' for r in rates)}; "
        f"{refused} × 429, {f'{resent} resent, ' if resent else ''}{twice} twice, "
        f"≤ {most} in flight)"
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


class NoUpdates:
    """Where the Matrix adapter would hand incoming messages (the fake sends none)."""

    async def __call__(
        self, message: Incoming, surface: Surface, update_key: str | None = None
    ) -> list[Reply]:
        return []

    async def gone(self, chat: Identity) -> None:
        return None


async def matrix_rate(
    config: Config, folder: Path, count: int, latency: float, limit: float, *, in_flight: int = 100
) -> tuple[float, Seen]:
    """Messages a second klbot's Matrix adapter and sender reach against the fake
    homeserver (``count`` rooms, one message each), and what the homeserver saw."""
    fake = FakeBotApi("matrix", per_second=limit, latency=latency, rooms=count)
    url = await fake.start()
    seconds = float("nan")
    try:
        async with App.open(config) as app:
            settings = config.matrix.model_copy(
                update={
                    "enabled": True,
                    "homeserver": url,
                    "user_id": "@klbot:fake.local",
                    "access_token": "bench-token",
                    "device_id": "BENCH",
                    "max_in_flight": in_flight,
                }
            )
            adapter = MatrixAdapter(settings, AdapterState(app.sessions), folder / "store")
            await adapter.start(NoUpdates())
            while not adapter.ready:  # the first sync: the rooms klbot is in
                await asyncio.sleep(0.01)
            rooms = sorted(adapter.client.rooms)
            async with app.sessions() as session, session.begin():
                await outbox.enqueue_many(
                    session,
                    (outbox.Owed(f"matrix:{room}", "Neuigkeit", f"bench:{room}") for room in rooms),
                )
            rates = Rates(limit, 1, in_flight=in_flight)
            sender = OutboxSender(app.sessions, {"matrix": adapter}, {"matrix": rates})
            freeze_startup_heap()
            seconds = await drain(sender, app, "matrix")
            await adapter.stop()
    finally:
        seen = await fake.stop()
    return seen.sent / seconds, seen


async def matrix(config: Callable[[str], Config], folder: str, limited: int, repeats: int) -> None:
    for limit in MATRIX_LIMITS:
        count = int(limit * limited / LIMIT)  # about 20 s at the limit
        slow = max(30, count // 10)
        for latency in LATENCIES:
            ours, single = [], []
            for run in range(repeats):
                name = f"matrix{limit}-{latency}-{run}"
                ours.append(
                    await matrix_rate(config(name), Path(folder, name), count, latency, limit)
                )
                single.append(
                    await matrix_rate(
                        config(f"{name}-one"),
                        Path(folder, f"{name}-one"),
                        slow,
                        latency,
                        limit,
                        in_flight=1,
                    )
                )
            print(
                f"Matrix, limit {limit}/s, {latency * 1000:.0f} ms per request, "
                f"{count} messages to different rooms:"
            )
            print(f"  klbot, pipelined:     {_median(ours, limit)}")
            print(f"  klbot, one at a time: {_median(single, limit)}  ({slow} messages)")
            middle = statistics.median(r for r, _ in ours)
            ratio = middle / statistics.median(r for r, _ in single)
            print(f"  pipelined / one at a time: {ratio:.2f}×")
    print("targets: ≥ 95 % of the limit with zero 429s")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast")
    parser.add_argument("recipients", nargs="?", type=int, default=10_000)
    parser.add_argument("limited", nargs="?", type=int, default=600)
    parser.add_argument("repeats", nargs="?", type=int, default=3)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    arguments = parser.parse_args()
    parts = set(arguments.only.split(","))
    if parts - set(PARTS):
        parser.error(f"--only: parts are {', '.join(PARTS)}")
    repeats, limited = arguments.repeats, arguments.limited
    with tempfile.TemporaryDirectory() as folder:

        def config(name: str) -> Config:
            return load_config(
                None, env={"KLBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/{name}.sqlite3"}
            )

        if "bookkeeping" in parts:
            await bookkeeping(config("batched"), arguments.recipients, idempotent=True)
            await bookkeeping(config("single"), arguments.recipients, idempotent=False)
        if "paid" in parts:
            await paid(config, 5000, repeats)
        if "telegram" in parts:
            await rates(config, limited, repeats)
        if "matrix" in parts:
            await matrix(config, folder, limited, repeats)


if __name__ == "__main__":
    asyncio.run(main())
