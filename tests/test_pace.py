"""Each platform keeps its own pace when a broadcast goes to several at once."""

from __future__ import annotations

import asyncio

from bot.adapters import Adapter
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from storage import outbox


class Timed:
    """A platform that answers at once and notes when each message started."""

    def __init__(self, platform: str) -> None:
        self.platform, self.idempotent = platform, platform == "matrix"
        self.connected = self.ready = True
        self.started: list[float] = []

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
        return key


async def test_a_slower_platform_does_not_hold_a_faster_one_back(app: App) -> None:
    """30 Telegram and 10 Matrix recipients, interleaved, at 30 and 10 a second: both are
    through in about a second (Telegram at Matrix's pace took three), neither too fast."""
    chats = [
        chat
        for n in range(10)  # three Telegram chats, a Matrix room, three Telegram chats …
        for chat in (*(f"telegram:{3 * n + k}" for k in range(3)), f"matrix:!room{n}:local")
    ]
    async with app.sessions() as session, session.begin():
        await outbox.enqueue_many(
            session, (outbox.Owed(chat, "Neuigkeit", f"pace:{chat}") for chat in chats)
        )
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
        assert 0.9 * (len(platform.started) - 1) / rate <= took < 1.3, (platform.platform, took)
