"""A sender that stops beating is taken over within seconds: its batch goes to the others
at once, its messages in flight are resent where the platform recognises a resend and
counted as uncertain where not; the author's report says how many are uncertain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.events import Identity, Reply, Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.delivery import OutboxSender
from bot.runtime.membership import ALIVE_SECONDS, HEARTBEAT_SECONDS
from handlers.announcements import broadcast
from storage import announcements, outbox, sending, workers
from storage.models import utcnow
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases


class Recording:
    """A platform that keeps what it was sent; ``idempotent`` as Matrix, else as Telegram."""

    def __init__(self, platform: str, idempotent: bool) -> None:
        self.platform, self.idempotent = platform, idempotent
        self.connected = self.ready = True
        self.sent: list[tuple[str, str]] = []

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        self.sent.append((str(chat), key))
        return key


async def test_a_sender_that_misses_its_heartbeats_is_taken_over(app: App) -> None:
    async with app.sessions() as session, session.begin():
        for n in range(4):
            await outbox.enqueue(session, chat=f"telegram:{n}", text=f"Nachricht {n}")
        await outbox.enqueue(session, chat="matrix:!room:local", text="Nachricht M")
        await workers.heartbeat(session, name="dead", platforms=["telegram", "matrix"])
    async with app.sessions() as session, session.begin():
        batch = await outbox.reserve(
            session,
            platforms=["telegram", "matrix"],
            until=utcnow() + timedelta(minutes=5),
            sender="dead",
        )
        in_flight = [m.id for m in batch if m.chat in ("telegram:0", "matrix:!room:local")]
        await sending.claim_many(session, message_ids=in_flight, sender="dead")
    telegram, matrix = Recording("telegram", False), Recording("matrix", True)
    sender = OutboxSender(app.sessions, {"telegram": telegram, "matrix": matrix})  # type: ignore[dict-item]

    await sender.recover(now=utcnow() + timedelta(seconds=HEARTBEAT_SECONDS))  # one beat late
    assert not await sender.send_due()  # still its batch
    assert telegram.sent == matrix.sent == []

    # every beat missed for longer than ALIVE_SECONDS: known dead, well within 10 s
    assert ALIVE_SECONDS + HEARTBEAT_SECONDS <= 10
    await sender.recover(now=utcnow() + timedelta(seconds=ALIVE_SECONDS + 0.5))
    while await sender.send_due():
        pass
    assert sorted(chat for chat, _ in telegram.sent) == ["telegram:1", "telegram:2", "telegram:3"]
    assert matrix.sent == [("matrix:!room:local", f"outbox-{in_flight[1]}")]  # resent, same key
    async with app.sessions() as session:
        assert await outbox.unfinished(session, platforms=["telegram", "matrix"]) == 0
        assert await workers.silent(session, since=utcnow()) == []  # the dead one forgotten


async def test_the_author_is_told_how_many_are_uncertain(app: App, config: Config) -> None:
    dispatcher = dispatcher_for(app, with_roles(config, staff=["console:de", "console:en"]))
    authors = {
        lang: Chat(dispatcher, f"console:{lang}", lang, Surface(buttons=False, push=False))
        for lang in ("de", "en")
    }
    for lang, author in authors.items():
        await author.ask(f"/language {lang}")
        async with app.sessions() as session, session.begin():
            row = await announcements.create(
                session, author=f"console:{lang}", audience="all", text_de="Hallo", text_en=None
            )
            row.status = "sending"
            owed = [outbox.Owed(f"telegram:{n}", "Hallo", f"{lang}:{n}") for n in range(3)]
            await outbox.enqueue_many(session, owed, announcement_id=row.id)
        async with app.sessions() as session, session.begin():
            due = await outbox.reserve(
                session, platforms=["telegram"], until=utcnow() + timedelta(minutes=1)
            )
            ids = sorted(m.id for m in due)
            await sending.mark_sent_many(session, sent=[(ids[0], "1")])
            await sending.give_up_uncertain(session, message_ids=ids[1:])
            await broadcast.finish_delivered(session, dispatcher.config)
    german, english = await authors["de"].ask("/start"), await authors["en"].ask("/start")
    assert "3 Empfänger, 1 zugestellt, 0 nicht zustellbar" in german
    assert "Bei 2 Nachrichten ist unklar, ob sie angekommen sind" in german
    assert "3 recipients, 1 delivered, 0 undeliverable" in english
    assert "For 2 messages it is unclear whether they arrived" in english
