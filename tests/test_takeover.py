"""A sender that stops beating is taken over within seconds: its batch goes to the others
at once, its messages in flight are resent where the platform recognises a resend and
counted as uncertain where not; the author's report says how many are uncertain."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

import pytest

from bot.core.events import Identity, Reply, Surface
from bot.runtime.app import App
from bot.runtime.config import Config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import FAST_BATCH, SAFETY, Limits
from bot.runtime.membership import ALIVE_SECONDS, HEARTBEAT_SECONDS, Membership
from handlers.announcements import broadcast
from storage import Session, announcements, outbox, sending, workers
from storage.models import Announcement, utcnow
from tests.harness import Chat, dispatcher_for, with_roles

pytestmark = pytest.mark.both_databases


class Recording:
    """A platform that keeps what it was sent; ``idempotent`` as Matrix, else as Telegram."""

    def __init__(self, platform: str, idempotent: bool) -> None:
        self.platform, self.idempotent = platform, idempotent
        self.connected = self.ready = True
        self.sent: list[tuple[str, str]] = []
        self.texts: list[str] = []
        self.edits: list[str | None] = []

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
        self.texts.append(reply.text)
        self.edits.append(edits)
        return edits or key


async def announced(session: Session, author: str, chats: Iterable[str]) -> Announcement:
    """An announcement by ``author`` to everyone, with a delivery row to each of ``chats``."""
    row = await announcements.create(
        session,
        author=author,
        author_identity=author,
        audience="all",
        text_de="Hallo",
        text_en=None,
    )
    owed = [outbox.Owed(chat, "Hallo", f"{row.id}:{chat}") for chat in chats]
    await outbox.enqueue_many(session, owed, announcement_id=row.id)
    return row


async def delivered_on_matrix(session: Session, limit: int = 1000) -> None:
    """Up to ``limit`` of the Matrix rows due, recorded as sent (no sender serves Matrix)."""
    due = await outbox.reserve(
        session, platforms=["matrix"], until=utcnow() + timedelta(minutes=1), limit=limit
    )
    await sending.mark_sent_many(session, sent=[(m.id, None) for m in due])


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
            row = await announced(session, f"console:{lang}", (f"telegram:{n}" for n in range(3)))
            row.status = "sending"
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


@pytest.mark.parametrize(
    ("lang", "moving", "finished"),
    [
        ("de", "1.000 / 1.500 zugestellt, noch etwa 1 min", "1.500 / 1.500 zugestellt."),
        ("en", "1,000 / 1,500 delivered, about 1 min to go", "1,500 / 1,500 delivered."),
    ],
)
async def test_the_author_sees_one_message_move(
    app: App, config: Config, lang: str, moving: str, finished: str
) -> None:
    """An author on Telegram gets one progress message, then new texts for it in place."""
    author = "telegram:42"
    dispatcher = dispatcher_for(app, with_roles(config, staff=[author]))
    await Chat(dispatcher, user=author).ask(f"/language {lang}")
    telegram = Recording("telegram", False)
    sender = OutboxSender(app.sessions, {"telegram": telegram}, {"telegram": (1e9, 1e9)})  # type: ignore[dict-item]
    while await sender.send_due():  # the reply to /language
        pass
    async with app.sessions() as session, session.begin():
        row = await announced(session, author, (f"matrix:!r{n}:local" for n in range(1500)))
        row.status, row.runs, row.started_at = "sending", 1, utcnow() - timedelta(minutes=1)
        await broadcast.start_progress(session, row, 1500, config)
    while await sender.send_due():  # the progress message goes out (matrix is not served)
        pass
    for _ in range(2):  # 1,000 delivered, then the other 500
        async with app.sessions() as session, session.begin():
            await delivered_on_matrix(session)
            await broadcast.finish_delivered(session, config)
        while await sender.send_due():
            pass
    start = next(i for i, text in enumerate(telegram.texts) if text.startswith("0 / 1"))
    texts, edits = telegram.texts[start:], telegram.edits[start:]
    shown = telegram.sent[start][1]  # the platform's id of the progress message
    assert texts[1] == moving  # 1,000 in the first minute: 500 take half a minute more
    assert texts[2] == finished
    assert edits[:3] == [None, shown, shown]  # one message, edited in place
    assert finished.split(" / ")[0] in texts[3]  # then the report, numbers as written there


async def test_the_progress_follows_the_reply_and_a_quick_broadcast_has_none(
    app: App, config: Config
) -> None:
    """The author's progress message is written by the first look after the broadcast
    started (after the reply that started it); one through before that gets the report
    only."""
    author = "telegram:42"

    async def broadcast_of(size: int) -> int:
        async with app.sessions() as session, session.begin():
            row = await announced(session, author, (f"matrix:!r{n}:local" for n in range(size)))
            await broadcast.fire(session, row, config)  # nobody subscribed: writes nothing
            return row.id

    async def to_author() -> list[str]:
        """What the author's chat is owed now, taken (as the console shows it)."""
        async with app.sessions() as session, session.begin():
            return [m.text for m in await outbox.take_pending(session, chat=author)]

    going = await broadcast_of(3)
    assert await to_author() == []  # the reply that fired it comes first
    async with app.sessions() as session, session.begin():
        assert await broadcast.finish_delivered(session, config) == []
    assert await to_author() == ["0 / 3 zugestellt"]
    async with app.sessions() as session, session.begin():
        await delivered_on_matrix(session)
        assert await broadcast.finish_delivered(session, config) == [going]
    assert [text[:26] for text in await to_author()] == ["Bericht zur Ankündigung #1"]
    quick = await broadcast_of(2)
    async with app.sessions() as session, session.begin():
        await delivered_on_matrix(session)
        assert await broadcast.finish_delivered(session, config) == [quick]
    (report,) = await to_author()
    assert report.startswith(f"Bericht zur Ankündigung #{quick}: 2 Empfänger, 2 zugestellt")


async def test_a_new_sender_waits_until_the_others_count_it(app: App) -> None:
    """Until a busy sender has beaten again it sends at the whole limit; a sender joining
    sends nothing before that beat, however late it comes (else both send above it)."""
    limits = {name: Limits(["telegram"], {"telegram": (30, 1)}) for name in ("busy", "new")}
    busy, new = (
        Membership(app.sessions, ["telegram"], limits[n], n, every=0.2, alive=10)
        for n in ("busy", "new")
    )
    await busy.beat()
    stop = asyncio.Event()
    joining = asyncio.create_task(new.join(stop))
    await asyncio.sleep(1.0)  # the busy sender's beat is late: five beats' time
    assert not joining.done(), "the new sender started before the busy one counted it"
    assert limits["busy"].rate("telegram") > 29  # still the whole limit
    await busy.beat()
    await asyncio.wait_for(joining, 2)
    assert limits["busy"].rate("telegram") == limits["new"].rate("telegram") < 15


async def test_senders_starting_together_share_from_their_first_message(app: App) -> None:
    """Three senders whose first beats overlap (none sees the others in it) each know of
    all three before any of them sends, and none waits for the others long."""
    limits = [Limits(["telegram"], {"telegram": (30, 1)}) for _ in range(3)]
    senders = [
        Membership(app.sessions, ["telegram"], mine, f"s{n}", every=0.2, alive=10)
        for n, mine in enumerate(limits)
    ]
    stop = asyncio.Event()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(asyncio.gather(*(s.join(stop) for s in senders)), 5)
    assert asyncio.get_running_loop().time() - started < 3
    assert [round(mine.rate("telegram"), 2) for mine in limits] == [round(SAFETY * 30 / 3, 2)] * 3


async def test_the_progress_and_replies_do_not_wait_behind_a_whole_broadcast(
    app: App, config: Config
) -> None:
    """A broadcast larger than one batch: the author's progress message, and the reply to
    someone who writes meanwhile, go out with the next batch, not after every recipient
    (at 30 a second, 20,000 recipients take 11 minutes)."""
    author = "telegram:42"
    telegram = Recording("telegram", False)
    sender = OutboxSender(app.sessions, {"telegram": telegram}, {"telegram": (1e9, 1e9)})  # type: ignore[dict-item]
    async with app.sessions() as session, session.begin():
        recipients = 2 * FAST_BATCH + 500  # at an unlimited rate, a batch is FAST_BATCH
        chats = (f"telegram:{1000 + n}" for n in range(recipients))
        row = await announced(session, author, chats)
        row.status, row.runs, row.started_at = "sending", 1, utcnow()
        await broadcast.start_progress(session, row, recipients, config)
    await sender.send_due()  # the first batch
    async with app.sessions() as session, session.begin():
        await outbox.enqueue(session, chat="telegram:7", text="Die Antwort auf deine Frage")
    await sender.send_due()  # the second
    await sender.settle()
    sent = [chat for chat, _ in telegram.sent]
    assert len(sent) < recipients  # the broadcast is still going out
    assert author in sent and "telegram:7" in sent
