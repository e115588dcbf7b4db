"""``klbot deliveries ID --follow`` while a running klbot delivers the broadcast: the
progress reaches the total, the last line gives the figures, and it ends on its own."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import select
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.adapters import RecipientGone
from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from handlers.announcements import cli
from storage import announcements, outbox, sending
from storage.models import utcnow
from tests.shell import KLBOT, ROOT, klbot

RECIPIENTS = 60
RATE = 40.0
"""Messages a second: the broadcast takes about 1.5 s, long enough to be watched."""
GONE = {"telegram:5", "telegram:6"}


class Network:
    """A platform a few milliseconds away; two of its chats blocked the bot."""

    platform = "telegram"
    idempotent = False

    def __init__(self) -> None:
        self.connected = self.ready = True
        self.sent: list[str] = []
        self.open = asyncio.Event()
        """Cleared: every send waits (until someone watches)."""
        self.open.set()

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        await self.open.wait()
        await asyncio.sleep(0.005)
        if str(chat) in GONE:
            raise RecipientGone("Forbidden: bot was blocked by the user")
        self.sent.append(str(chat))
        return str(len(self.sent))


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    """The ``klbot`` command's environment: the test's database."""
    return {"KLBOT_DATABASE_URL": db_url, "LANG": "C.UTF-8"}


async def broadcast(app: App, chats: list[str], *, uncertain: int = 0) -> int:
    """An announcement going out to ``chats``; the first ``uncertain`` of them were in
    flight when an earlier klbot stopped (on Telegram: never sent again)."""
    async with app.sessions() as session, session.begin():
        row = await announcements.create(
            session,
            author="console:staff",
            author_identity="console:staff",
            audience="all",
            text_de="Sprechstunde am Freitag",
            text_en=None,
        )
        row.status, row.runs, row.started_at = "sending", 1, utcnow()
        owed = [outbox.Owed(chat, "Sprechstunde am Freitag", f"a{row.id}:{chat}") for chat in chats]
        await outbox.enqueue_many(session, owed, announcement_id=row.id)
    if uncertain:
        async with app.sessions() as session, session.begin():
            due = await outbox.reserve(
                session,
                platforms=["telegram"],
                until=utcnow() + timedelta(minutes=1),
                limit=uncertain,
            )
            await sending.give_up_uncertain(session, message_ids=[m.id for m in due])
    return row.id


@asynccontextmanager
async def running_klbot(app: App) -> AsyncIterator[Network]:
    """klbot's outbox sender in this event loop, sending to :class:`Network`."""
    network = Network()
    sender = OutboxSender(app.sessions, {"telegram": network}, {"telegram": Rates(RATE, 1)})  # type: ignore[dict-item]
    await sender.membership.beat()  # seen running before the first look
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        yield network
    finally:
        stop.set()
        await task


async def test_follow_shows_the_delivery_to_the_end_and_the_figures(
    app: App, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "POLL_SECONDS", 0.1)
    looked = threading.Event()
    look = cli._look

    async def first_look(app: App, number: int) -> cli._Look:
        seen = await look(app, number)
        looked.set()
        return seen

    monkeypatch.setattr(cli, "_look", first_look)  # the same look, telling the test
    number = await broadcast(app, [f"telegram:{n}" for n in range(RECIPIENTS)], uncertain=1)
    async with running_klbot(app) as network:
        network.open.clear()  # nothing goes out until the command watches
        following = asyncio.create_task(
            asyncio.to_thread(klbot, env, "deliveries", str(number), "--follow")
        )
        assert await asyncio.to_thread(looked.wait, 20)
        network.open.set()
        started = time.monotonic()
        done = await asyncio.wait_for(following, 30)
        seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[1] == "delivered by the running klbot; Ctrl-C stops watching, not delivering"
    shown = [int(m[1]) for line in lines if (m := re.fullmatch(r"delivering: (\d+) / 60", line))]
    assert shown[0] == 1 and shown[-1] == RECIPIENTS  # from the start to the total
    assert len(shown) >= 3 and shown == sorted(shown)  # a line at each tenth it passed
    assert lines[-1] == (
        f"announcement #{number}: 57 delivered, 2 undeliverable, 1 uncertain "
        "(may have arrived; never sent twice)"
    )
    assert len(network.sent) == 57
    assert seconds < RECIPIENTS / RATE + 3  # it ended with the delivery, not later


async def test_follow_ends_when_no_running_klbot_sends_the_rest(
    app: App, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console chat gets its message with its next own message: nothing running sends
    it, so following ends once the rest is through and says what is left."""
    monkeypatch.setattr(cli, "POLL_SECONDS", 0.1)
    number = await broadcast(app, ["telegram:1", "telegram:2", "console:ana"])
    async with running_klbot(app):
        done = await asyncio.wait_for(
            asyncio.to_thread(klbot, env, "deliveries", str(number), "--follow"), 30
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [
        "1 not delivered yet: no running klbot sends to their platform (console chats see "
        "theirs with their next message)",
        f"announcement #{number}: 2 delivered, 0 undeliverable, 0 uncertain "
        "(may have arrived; never sent twice), 1 pending",
    ]


def test_follow_of_an_unknown_or_unsent_announcement_says_so_in_one_line(
    env: dict[str, str],
) -> None:
    unknown = klbot(env, "deliveries", "77", "--follow")
    assert unknown.returncode == 2
    assert (unknown.stdout, unknown.stderr) == ("", "klbot: there is no announcement #77\n")
    planned = klbot(env, "announce", "--audience", "all", "--text", "x", "--at", "2099-01-01 9:00")
    assert planned.returncode == 0, planned.stderr
    later = klbot(env, "deliveries", "1", "--follow")
    assert later.returncode == 0 and later.stderr == ""
    assert later.stdout.splitlines()[-1] == (
        "announcement #1 has no deliveries yet: nothing to follow"
    )


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the side klbot writes to, the side the test reads)."""
    master, slave = pty.openpty()
    yield slave, master
    os.close(master)


async def test_in_a_terminal_the_bar_fills_up_to_the_total(
    app: App, env: dict[str, str], terminal: tuple[int, int]
) -> None:
    """The real command on a terminal: click's progress bar, drawn in place."""
    slave, master = terminal
    number = await broadcast(app, [f"telegram:{n}" for n in range(20)])
    async with running_klbot(app) as network:
        network.open.clear()  # nothing goes out until the command watches
        process = subprocess.Popen(
            [*KLBOT, "deliveries", str(number), "--follow"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={k: v for k, v in os.environ.items() if not k.startswith("KLBOT_")} | env,
            cwd=ROOT,
        )
        os.close(slave)

        def read(until: str | None = None) -> str:
            """What the terminal shows, up to ``until`` or the command's end."""
            seen = b""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (until is None or until.encode() not in seen):
                if select.select([master], [], [], 0.1)[0]:
                    try:
                        seen += os.read(master, 4096)
                    except OSError:  # the command ended and closed the terminal
                        break
                elif process.poll() is not None:
                    break
            return seen.decode()

        try:
            shown = await asyncio.to_thread(read, "Ctrl-C stops watching")
            network.open.set()
            shown += await asyncio.to_thread(read)
            assert process.wait(timeout=10) == 0, shown
        finally:
            process.kill()
    bars = re.findall(r"\rdelivering  \[([#-]+)\]  (\d+)/20", shown.replace("\x1b[?25l", ""))
    assert bars[0] == ("-" * 36, "0") and bars[-1] == ("#" * 36, "20"), bars  # drawn in place
    assert len(bars) >= 2 and [int(n) for _, n in bars] == sorted(int(n) for _, n in bars)
    assert shown.rstrip().splitlines()[-1] == (
        f"announcement #{number}: 18 delivered, 2 undeliverable, 0 uncertain "
        "(may have arrived; never sent twice)"
    )
