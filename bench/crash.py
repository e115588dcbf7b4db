"""A broadcast through a crash: SIGKILL of the sending process mid-broadcast, restart.

Usage: .venv/bin/python -m bench.crash [RECIPIENTS] [KILL_AFTER]

RECIPIENTS (600) messages to a fake Bot API (its own process) that answers after 80 ms
and allows 30/s. A klbot sender (python-telegram-bot, heartbeats, takeover as in
``klbot run``) is killed KILL_AFTER (4) seconds in and started again at once. Prints how
long the restarted one took to send its first message and to finish, against the target
of 10 s plus the remaining messages at the limit; duplicates (target 0) and messages in
doubt, counted as uncertain (target ≤ the sends in flight at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.broadcast import LIMIT, FakeBotApi, fill
from bot.adapters.telegram import TelegramAdapter
from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from bot.runtime.membership import wait
from storage import outbox
from storage.models import OutboxMessage
from storage.platform import AdapterState
from storage.sending import UNCERTAIN

LATENCY = 0.08
IN_FLIGHT = 100


async def worker(url: str, api: str) -> None:
    """One sending klbot process: until nothing is left."""
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app:
        settings = config.telegram.model_copy(
            update={"enabled": True, "token": "1:BENCH", "base_url": f"{api}/bot"}
        )
        adapter = TelegramAdapter(settings, AdapterState(app.sessions))
        await adapter.bot.initialize()
        rates = Rates(LIMIT, 1, in_flight=IN_FLIGHT)
        sender = OutboxSender(app.sessions, {"telegram": adapter}, {"telegram": rates})
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        while not await wait(stop, 0.2):
            async with app.sessions() as session:
                if not await outbox.unfinished(session, platforms=["telegram"]):
                    stop.set()
        await sending
        await adapter.bot.shutdown()


def start(url: str, api: str) -> asyncio.Future[asyncio.subprocess.Process]:
    return asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.crash",
            "--worker",
            url,
            api,
            cwd=Path(__file__).parent.parent,
            stderr=asyncio.subprocess.DEVNULL,
        )
    )


async def delivered(app: App) -> tuple[int, int]:
    """(sent, uncertain) as the database has them."""
    async with app.sessions() as session:
        sent = await session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_not(None)))
        uncertain = await session.scalar(
            select(func.count()).where(OutboxMessage.failed == UNCERTAIN)
        )
    return int(sent or 0), int(uncertain or 0)


async def main(recipients: int, kill_after: float) -> None:
    fake = FakeBotApi(per_second=LIMIT, latency=LATENCY)
    api = await fake.start()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/crash.sqlite3"
        async with App.open(load_config(None, env={"KLBOT_DATABASE_URL": url})) as app:
            await fill(app, recipients)
            first = await start(url, api)
            await asyncio.sleep(kill_after)
            os.kill(first.pid, signal.SIGKILL)
            await first.wait()
            sent_at_kill, _ = await delivered(app)
            restarted = time.monotonic()
            second = await start(url, api)
            first_new = None
            while second.returncode is None:
                sent, _ = await delivered(app)
                if first_new is None and sent > sent_at_kill:
                    first_new = time.monotonic() - restarted
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second.wait(), 0.05)
            finished = time.monotonic() - restarted
            sent, uncertain = await delivered(app)
    seen = await fake.stop()
    remaining = recipients - sent_at_kill
    budget = 10 + remaining / LIMIT
    print(
        f"{recipients} messages, 80 ms per request, 30/s; SIGKILL after {kill_after:g} s "
        f"with {sent_at_kill} recorded as sent, restarted at once:"
    )
    print(f"  first message after the restart: {first_new or float('nan'):.1f} s (target ≤ 10 s)")
    print(
        f"  finished {finished:.1f} s after the restart; target ≤ 10 s + {remaining} at "
        f"{LIMIT}/s = {budget:.1f} s: {'met' if finished <= budget else 'MISSED'}"
    )
    print(
        f"  arrived {seen.sent}, twice {seen.twice} (target 0), uncertain {uncertain} "
        f"(target ≤ {IN_FLIGHT}, sends in flight at most), 429s {seen.refused}; "
        f"{sent} + {uncertain} of {recipients} settled"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        asyncio.run(worker(sys.argv[2], sys.argv[3]))
    else:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
        after = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
        asyncio.run(main(count, after))
