"""Delivery against a Bot API that answers 429: everything arrives once, in order per chat."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.adapters.telegram import TelegramAdapter
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from storage import outbox
from storage.models import OutboxMessage
from storage.platform import AdapterState
from tests.telegram.flood_fake import FloodFake


async def deliver(app: App, config: Config, fake: FloodFake, rates: Rates, count: int) -> None:
    """Run klbot's sender against ``fake`` until ``count`` messages arrived."""
    url = await fake.start()
    try:
        settings = config.telegram.model_copy(
            update={"enabled": True, "token": "1:FAKE", "base_url": f"{url}/bot"}
        )
        adapter = TelegramAdapter(settings, AdapterState(app.sessions))
        await adapter.bot.initialize()
        sender = OutboxSender(app.sessions, {"telegram": adapter}, {"telegram": rates})
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop))
        for _ in range(300):
            if len(fake.sent) >= count:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await running
        await adapter.bot.shutdown()
    finally:
        await fake.stop()


async def owe(app: App, count: int, chats: int) -> None:
    async with app.sessions() as session, session.begin():
        for number in range(count):
            chat = f"telegram:{100 + number % chats}"
            await outbox.enqueue(session, chat=chat, text=f"Nachricht {number:02}")


async def test_a_429_pauses_every_send_and_loses_nothing(app: App, config: Config) -> None:
    """Several requests in flight; the first 429 holds back every start until retry_after
    has passed (those already under way may meet it too), and all arrive once."""
    fake = FloodFake(per_second=5, latency=0.06)
    await owe(app, 24, chats=24)
    # the sender is allowed more than the fake accepts, so it meets 429s and must wait
    await deliver(app, config, fake, Rates(50, 50), 24)
    assert len(fake.sent) == 24, f"{len(fake.sent)} sent, {fake.refused} refused"
    assert fake.most_in_flight > 1 and fake.refused > 0
    refusals = [at for at, _, status in fake.requests if status == 429]
    for refused_at in refusals:
        # klbot hears of the 429 half a round trip later and pauses for retry_after (1 s):
        # no request it starts after that reaches the fake within the pause
        quiet = [
            at
            for at, _, _ in fake.requests
            if refused_at + fake.latency + 0.03 < at < refused_at + 0.9
        ]
        assert quiet == [], f"{len(quiet)} request(s) during the pause after a 429"
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram"]) == 0
    async with app.sessions() as session:
        ids = [row for row in await session.scalars(select(OutboxMessage.platform_message_id))]
    assert sorted(int(i or 0) for i in ids) == list(range(1, 25))  # the platform id of each


async def test_each_chat_gets_its_messages_in_order_one_at_a_time(app: App, config: Config) -> None:
    """Many sends in flight at once, yet a chat's next message starts only after the
    previous one ended, so each chat reads its messages in the order they were written."""
    fake = FloodFake(per_second=1000, latency=0.05)
    await owe(app, 60, chats=4)
    await deliver(app, config, fake, Rates(200, 200), 60)
    assert len(fake.sent) == 60 and fake.most_in_flight >= 4
    assert fake.overlaps == 0
    for chat_id, texts in fake.by_chat.items():
        numbers = [int(text.split()[-1]) for text in texts]
        assert numbers == sorted(set(numbers)), f"chat {chat_id}: {numbers}"


def test_groups_get_twenty_messages_a_minute() -> None:
    from bot.core.events import Identity
    from bot.runtime.limits import Limits

    limits = Limits(["telegram"], {"telegram": (30, 1)})
    group = limits.chat(Identity("telegram", "-100123"))
    private = limits.chat(Identity("telegram", "4242"))
    assert (group.max_rate, group.time_period) == (20, 60)
    assert private.max_rate / private.time_period == 1.0
