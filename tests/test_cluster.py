"""Several klbot processes on one PostgreSQL database: they share a broadcast, keep the
platform's limit together, and a process killed mid-way loses and repeats nobody."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from bisect import bisect_left
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.runtime.app import App
from bot.runtime.config import load_config
from storage import outbox
from storage.leadership import Leadership
from storage.models import OutboxMessage
from tests.cluster_worker import IN_FLIGHT

LIMIT = 600
"""Messages a second the fake platform accepts (Telegram's 30 would make a 20,000-person
broadcast take 11 minutes; the arithmetic is the same)."""
SIZES = [1_500, pytest.param(20_000, marks=pytest.mark.scale)]
"""Recipients of the broadcast: the suite runs 1,500 (2.5 s of sending); CI runs 20,000
separately (``pytest -m scale``)."""


class LimitedPlatform:
    """A platform that accepts ``limit`` messages in any second and answers 429 beyond;
    with ``idempotent``, a message whose key it has seen is accepted but not shown again."""

    def __init__(self, limit: int, idempotent: bool) -> None:
        self.limit, self.idempotent = limit, idempotent
        self.arrivals: list[float] = []
        self.sent_at: list[float] = []
        self.shown: Counter[str] = Counter()
        self.keys: set[str] = set()
        self.refused = 0

    async def receive(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        now = time.monotonic()
        window = self.arrivals[bisect_left(self.arrivals, now - 1.0) :]
        if len(window) >= self.limit:
            self.refused += 1
            return web.json_response({"retry_after": 1}, status=429)
        self.arrivals.append(now)
        self.sent_at.append(float(body["at"]))
        if not (self.idempotent and body["key"] in self.keys):
            self.keys.add(body["key"])
            self.shown[body["chat"]] += 1
        return web.json_response({"ok": True})


def busiest_second(times: list[float]) -> int:
    """The most messages in any one-second window."""
    ordered = sorted(times)
    return max((bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


async def start_worker(db_url: str, url: str, idempotent: bool) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cluster_worker",
        db_url,
        url,
        str(LIMIT),
        "1" if idempotent else "0",
        cwd=Path(__file__).parent.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("recipients", SIZES)
@pytest.mark.parametrize("idempotent", [True, False], ids=["matrix-like", "telegram-like"])
async def test_three_processes_share_a_broadcast_and_survive_a_kill(
    postgres_url: str, idempotent: bool, recipients: int
) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": postgres_url})
    async with App.open(config) as app:
        await broadcast_and_kill(app, postgres_url, idempotent, recipients)


async def broadcast_and_kill(
    app: App, postgres_url: str, idempotent: bool, recipients: int
) -> None:
    async with app.sessions() as session, session.begin():
        owed = (outbox.Owed(f"matrix:@r{n}:local", "Neuigkeit") for n in range(recipients))
        await outbox.enqueue_many(session, owed)
        await outbox.refresh_statistics(session)  # as a broadcast does once it is written
    platform = LimitedPlatform(LIMIT, idempotent)
    server = web.Application()
    server.router.add_post("/send", platform.receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/send"
    try:
        workers = [await start_worker(postgres_url, url, idempotent) for _ in range(3)]
        deadline = time.monotonic() + 120
        while len(platform.arrivals) < recipients // 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        workers[0].send_signal(signal.SIGKILL)  # mid-way through the broadcast
        await workers[0].wait()
        assert len(platform.arrivals) < recipients * 0.6, "the kill came too late to test much"
        for survivor in workers[1:]:
            _, errors = await asyncio.wait_for(survivor.communicate(), 300)
            assert survivor.returncode == 0, errors.decode()
    finally:
        await runner.cleanup()

    assert max(platform.shown.values()) == 1, "a recipient got the message twice"
    async with app.sessions() as session:
        uncertain = await session.scalar(
            select(func.count()).where(OutboxMessage.failed.is_not(None))
        )
    if idempotent:  # a resend is recognised: everyone exactly once
        assert len(platform.shown) == recipients and uncertain == 0
    else:  # those in flight at the kill may have arrived or not: never resent
        assert uncertain is not None and uncertain <= IN_FLIGHT
        assert recipients - IN_FLIGHT <= len(platform.shown) <= recipients
    assert busiest_second(platform.sent_at) <= LIMIT, "together the workers sent too fast"
    assert platform.refused <= 3, f"{platform.refused} messages were refused (429)"


@pytest.mark.postgres
async def test_one_process_leads_and_another_takes_over(postgres_url: str) -> None:
    from storage.db import make_engine

    engines = [make_engine(postgres_url) for _ in range(2)]
    try:
        first, second = (Leadership(engine) for engine in engines)
        assert await first.acquire() is True
        assert await second.acquire() is False, "two processes lead at once"
        assert await first.holds() is True
        await first.resign()  # the leader stops (or dies: its connection closes)
        assert await second.acquire() is True
        assert await first.acquire() is False
        await second.resign()
        await first.resign()
    finally:
        for engine in engines:
            await engine.dispose()
