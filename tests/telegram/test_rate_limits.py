"""Delivery against a Bot API that answers 429: everything arrives once, in order per chat."""

from __future__ import annotations

import asyncio

import pytest
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
    await owe(app, 12, chats=12)
    # the sender is allowed more than the fake accepts, so it meets 429s and must wait
    await deliver(app, config, fake, Rates(50, 50), 12)
    assert len(fake.sent) == 12, f"{len(fake.sent)} sent, {fake.refused} refused"
    assert fake.most_in_flight > 1 and fake.refused > 0
    refusals = [at for at, _, status in fake.requests if status == 429]
    for refused_at in refusals:
        # klbot hears of the 429 half a round trip later and pauses for retry_after (1 s):
        # no request it starts after that reaches the fake within the pause
        quiet = [
            at
            for at, _, _ in fake.requests
            if refused_at + fake.latency + 0.1 < at < refused_at + 0.9
        ]
        assert quiet == [], f"{len(quiet)} request(s) during the pause after a 429"
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram"]) == 0
    async with app.sessions() as session:
        ids = [row for row in await session.scalars(select(OutboxMessage.platform_message_id))]
    assert sorted(int(i or 0) for i in ids) == list(range(1, 13))  # the platform id of each


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


async def test_a_paid_broadcast_falls_back_to_the_free_limit_when_stars_run_out(
    app: App, config: Config
) -> None:
    """Paid messages go above the free limit until Telegram refuses for want of Stars; the
    rest goes at the free limit, nothing is lost, and the author hears of it once."""
    from handlers.announcements import broadcast
    from storage import announcements

    config = config.model_copy(
        update={"telegram": config.telegram.model_copy(update={"paid_broadcast": True})}
    )
    async with app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author="console:staff",
            author_identity="console:staff",
            audience="all",
            text_de="Hallo",
            text_en=None,
        )
        owed = [
            outbox.Owed(f"telegram:{500 + n}", f"Hallo {n}", f"paid:{n}", True) for n in range(20)
        ]
        await outbox.enqueue_many(session, owed, announcement_id=row.id)
    fake = FloodFake(per_second=5, paid_per_second=100, latency=0.02, stars=0.35)
    url = await fake.start()
    try:
        settings = config.telegram.model_copy(
            update={"enabled": True, "token": "1:FAKE", "base_url": f"{url}/bot"}
        )
        adapter = TelegramAdapter(settings, AdapterState(app.sessions))
        await adapter.bot.initialize()
        sender = OutboxSender(
            app.sessions,
            {"telegram": adapter},
            {"telegram": Rates(5, 50, paid=100)},
            stars_ran_out=lambda session, message: broadcast.stars_ran_out(
                session, message, config
            ),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop))
        for _ in range(150):
            if len(fake.sent) >= 20:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await running
        await adapter.bot.shutdown()
    finally:
        await fake.stop()
    assert len(fake.sent) == 20 and all(len(t) == 1 for t in fake.by_chat.values())
    assert fake.paid == 3  # paid above the free limit while the Stars lasted
    async with app.sessions() as session:
        told = list(
            await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.chat == "console:staff")
            )
        )
    assert told == [
        f"Ankündigung #{row.id}: Die Telegram-Sterne des Bots sind aufgebraucht. Der Rest geht "
        "kostenlos mit bis zu 30 Nachrichten pro Sekunde raus; lade vor dem nächsten bezahlten "
        "Versand Sterne auf."
    ]


async def test_bad_gateways_are_retried_and_a_blocked_recipient_is_never_tried_again(
    app: App, config: Config
) -> None:
    """The Bot API answers 502 for a while: those messages come again after a backoff while
    the rest goes on; a person who blocked the bot is unsubscribed, and no later message
    to them is tried."""
    from storage import subscriptions
    from tests.harness import Chat

    await Chat(app.dispatcher, user="telegram:900").ask("/subscribe alle")
    await owe(app, 10, chats=10)  # telegram:100 … telegram:109
    async with app.sessions() as session, session.begin():
        for text in ("Erste", "Zweite"):
            await outbox.enqueue(session, chat="telegram:900", text=text)
    fake = FloodFake(per_second=1000, latency=0.02)
    fake.blocked.add(900)
    fake.failing = 3
    await deliver(app, config, fake, Rates(100, 100), 10)
    assert sorted(chat for _, chat, _ in fake.sent) == list(range(100, 110))
    answers = [status for _, chat, status in fake.requests if chat == 900]
    assert answers[-1] == 403 and answers.count(403) == 1  # never tried after the 403
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram"]) == 0
        assert "telegram:900" not in await subscriptions.recipients(session, topic=None)


async def test_late_wake_ups_do_not_slow_the_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The event loop wakes a sender late now and then; the next start makes up for it,
    so 50 starts at 100 a second take half a second, not half a second plus every delay,
    and no quarter of a second holds more than the rate allows (25, and one at its edge)."""
    from bot.runtime import limits

    sleep = asyncio.sleep

    async def late(seconds: float) -> None:
        await sleep(seconds + 0.005)

    monkeypatch.setattr(asyncio, "sleep", late)
    pacer = limits.Pacer(100)
    loop = asyncio.get_running_loop()
    starts = []
    for _ in range(50):
        await pacer.acquire()
        starts.append(loop.time())
    assert starts[-1] - starts[0] < 0.56  # a bucket counting from each start: 0.74
    assert max(sum(s <= t < s + 0.25 for t in starts) for s in starts) <= 26


async def test_a_lower_rate_applies_to_the_start_waiting_for_it() -> None:
    """Another sender joins while the next start waits: it waits for the new spacing."""
    from bot.runtime.limits import Pacer

    pacer = Pacer(10)
    loop = asyncio.get_running_loop()
    await pacer.acquire()
    first = loop.time()
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.02)
    pacer.rate = 5  # half each
    await waiting
    assert loop.time() - first >= 0.19
