"""Delivery against a Bot API that answers 429: everything arrives once, in order per chat."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.adapters.telegram import TelegramAdapter
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.delivery import OutboxSender
from storage import outbox
from storage.models import OutboxMessage
from storage.platform import AdapterState
from tests.telegram.flood_fake import FloodFake


async def test_sender_honours_retry_after_and_loses_nothing(app: App, config: Config) -> None:
    fake = FloodFake(per_second=5)
    url = await fake.start()
    try:
        settings = config.telegram.model_copy(
            update={"enabled": True, "token": "1:FAKE", "base_url": f"{url}/bot"}
        )
        adapter = TelegramAdapter(settings, AdapterState(app.sessions))
        await adapter.bot.initialize()
        async with app.sessions() as session, session.begin():
            for number in range(24):
                chat = f"telegram:{100 + number % 4}"
                await outbox.enqueue(session, chat=chat, text=f"Nachricht {number:02}")
        # the sender is allowed more than the fake accepts, so it meets 429s and must wait
        sender = OutboxSender(app.sessions, {"telegram": adapter}, {"telegram": (50, 50)})
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop))
        for _ in range(300):
            if len(fake.sent) == 24:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await running
        await adapter.bot.shutdown()
    finally:
        await fake.stop()
    assert len(fake.sent) == 24, f"{len(fake.sent)} sent, {fake.refused} refused"
    assert 0 < fake.refused <= 6  # the limit was hit, and each 429 paused the whole account
    for chat_id, texts in fake.by_chat.items():
        numbers = [int(text.split()[-1]) for text in texts]
        assert numbers == sorted(set(numbers)), f"chat {chat_id}: {numbers}"
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram"]) == 0
    async with app.sessions() as session:
        ids = [row for row in await session.scalars(select(OutboxMessage.platform_message_id))]
    assert sorted(int(i or 0) for i in ids) == list(range(1, 25))  # the platform id of each


def test_groups_get_twenty_messages_a_minute() -> None:
    from bot.core.events import Identity
    from bot.runtime.limits import Limits

    limits = Limits(["telegram"], {"telegram": (30, 1)})
    group = limits.chat(Identity("telegram", "-100123"))
    private = limits.chat(Identity("telegram", "4242"))
    assert (group.max_rate, group.time_period) == (20, 60)
    assert private.max_rate / private.time_period == 1.0
