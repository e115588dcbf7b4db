"""The sender's batches: each platform keeps its own pace when a broadcast goes to
several at once, a 429 pauses only its own platform, no more than ``max_in_flight`` are
ever in doubt, and a database error mid-batch loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters import Adapter, RateLimited
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from storage import outbox, sending
from storage.models import OutboxMessage


class Timed:
    """A platform that answers after ``latency`` and notes when each message started."""

    def __init__(self, platform: str, latency: float = 0.0, *, refuse: int = 0) -> None:
        """``refuse``: answer the first so many with 429 (retry after a second)."""
        self.platform, self.idempotent = platform, platform == "matrix"
        self.connected = self.ready = True
        self.latency, self.refuse = latency, refuse
        self.started: list[float] = []
        self.chats: list[str] = []

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        self.started.append(asyncio.get_running_loop().time())
        self.chats.append(str(chat))
        await asyncio.sleep(self.latency)
        if len(self.started) <= self.refuse:
            raise RateLimited(1)
        return key


async def owe(app: App, chats: list[str], *, paid: bool = False) -> None:
    async with app.sessions() as session, session.begin():
        await outbox.enqueue_many(
            session, (outbox.Owed(chat, "Neuigkeit", f"pace:{chat}", paid) for chat in chats)
        )


async def unconfirmed(session: AsyncSession) -> int:
    """Messages claimed for sending and not yet known sent."""
    claimed = (
        OutboxMessage.claimed_at.is_not(None),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed.is_(None),
    )
    return await session.scalar(select(func.count()).where(*claimed)) or 0


async def send_for(sender: OutboxSender, seconds: float) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await running


async def test_a_slower_platform_does_not_hold_a_faster_one_back(app: App) -> None:
    """30 Telegram and 10 Matrix recipients, interleaved, at 30 and 10 a second: both are
    through in about a second (Telegram at Matrix's pace took three), neither too fast."""
    chats = [
        chat
        for n in range(10)  # three Telegram chats, a Matrix room, three Telegram chats …
        for chat in (*(f"telegram:{3 * n + k}" for k in range(3)), f"matrix:!room{n}:local")
    ]
    await owe(app, chats)
    telegram, matrix = Timed("telegram"), Timed("matrix")
    rates = {"telegram": Rates(30, 1), "matrix": Rates(10, 1)}
    platforms: dict[str, Adapter] = {"telegram": telegram, "matrix": matrix}  # type: ignore[dict-item]
    sender = OutboxSender(app.sessions, platforms, rates)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    for _ in range(100):
        if len(telegram.started) == 30 and len(matrix.started) == 10:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await running
    assert (len(telegram.started), len(matrix.started)) == (30, 10)
    for platform, rate in ((telegram, 30), (matrix, 10)):
        took = platform.started[-1] - platform.started[0]
        assert 0.9 * (len(platform.started) - 1) / rate <= took < 2, (platform.platform, took)


async def test_a_batch_slower_than_planned_does_not_stop_the_other_platform(app: App) -> None:
    """Paid broadcasts are on, so a batch is planned for 960 Telegram messages a second, but
    these 300 are replies at the free 30: Matrix still sends its 10 a second meanwhile (a
    batch waiting for all 300 held it at 10 messages for ten seconds)."""
    await owe(app, [f"telegram:{n}" for n in range(300)])
    await owe(app, [f"matrix:!room{n}:local" for n in range(100)])
    telegram, matrix = Timed("telegram"), Timed("matrix")
    rates = {"telegram": Rates(30, 1, paid=1000), "matrix": Rates(10, 1)}
    platforms: dict[str, Adapter] = {"telegram": telegram, "matrix": matrix}  # type: ignore[dict-item]
    stop = asyncio.Event()
    running = asyncio.create_task(OutboxSender(app.sessions, platforms, rates).run(stop))
    for _ in range(200):  # until 60 replies went out (two seconds, more on a busy machine)
        if len(telegram.started) >= 60:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await running
    first, sixtieth = telegram.started[0], telegram.started[59]
    meanwhile = sum(first <= at <= sixtieth for at in matrix.started)
    assert meanwhile >= 0.7 * 10 * (sixtieth - first), (meanwhile, sixtieth - first)


async def test_no_more_than_max_in_flight_are_ever_in_doubt(app: App) -> None:
    """Paid and unpaid Telegram messages in one batch, each kind claimed a few ahead: at
    no moment are more than ``in_flight`` claimed and not yet known sent (a crash then
    leaves at most that many uncertain)."""
    await owe(app, [f"telegram:{n}" for n in range(0, 300, 2)], paid=True)
    await owe(app, [f"telegram:{n}" for n in range(1, 300, 2)])
    telegram = Timed("telegram", latency=0.05)
    rates = {"telegram": Rates(100, 1, paid=400, in_flight=20)}
    sender = OutboxSender(app.sessions, {"telegram": telegram}, rates)  # type: ignore[dict-item]
    most = 0
    sending = asyncio.create_task(send_for(sender, 1.5))
    while not sending.done():
        async with app.sessions() as session:
            most = max(most, await unconfirmed(session))
        await asyncio.sleep(0.005)
    assert 10 < most <= 20 and len(telegram.started) > 100


async def test_a_platform_goes_on_when_its_429_pause_ends(app: App) -> None:
    """Telegram answers 429 (retry after a second) while Matrix has 20 s of messages
    waiting: Telegram's 30 go out once the second has passed, not after Matrix's next
    ten seconds."""
    await owe(app, [f"telegram:{n}" for n in range(30)])
    await owe(app, [f"matrix:!room{n}:local" for n in range(200)])
    telegram, matrix = Timed("telegram", refuse=1), Timed("matrix")
    rates = {"telegram": Rates(30, 1), "matrix": Rates(10, 1)}
    platforms: dict[str, Adapter] = {"telegram": telegram, "matrix": matrix}  # type: ignore[dict-item]
    await send_for(OutboxSender(app.sessions, platforms, rates), 4.5)
    assert len(telegram.started) == 31  # the first one twice
    assert telegram.started[1] - telegram.started[0] >= 1  # the pause is kept


async def test_a_database_error_mid_batch_loses_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording what landed fails once while messages are claimed ahead and others are
    under way: the sender tries again, and every message goes out once and is recorded
    (none stranded as claimed, no answer forgotten)."""
    await owe(app, [f"telegram:{n}" for n in range(60)], paid=True)
    telegram = Timed("telegram", latency=0.05)
    record, calls = sending.mark_sent_many, 0

    async def failing_once(session: AsyncSession, **values: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OperationalError("UPDATE", {}, Exception("disk I/O error"))
        await record(session, **values)

    monkeypatch.setattr(sending, "mark_sent_many", failing_once)
    rates = {"telegram": Rates(30, 1, paid=400, in_flight=20)}
    sender = OutboxSender(app.sessions, {"telegram": telegram}, rates)  # type: ignore[dict-item]
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    for _ in range(200):  # the sender tries again after its idle time (2 s at most)
        if len(telegram.chats) >= 60:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # what it would send twice, it would send now
    stop.set()
    await running
    assert calls > 3 and sorted(telegram.chats) == sorted(f"telegram:{n}" for n in range(60))
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram"]) == 0
