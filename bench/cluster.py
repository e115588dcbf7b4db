"""Delivery bookkeeping on PostgreSQL with one and with three klbot processes.

Usage: .venv/bin/python -m bench.cluster [RECIPIENTS]
Fills RECIPIENTS (20,000) delivery rows into a fresh PostgreSQL database on 127.0.0.1,
then drains them with 1 and with 3 sender processes through a platform that delivers
instantly (what is left is klbot's own bookkeeping), both for a platform that recognises
a resend (Matrix: batch claims) and one that does not (Telegram: one claim per message).
Prints deliveries per second from the first delivery to the last (median of three
runs; process start-up not counted) and duplicates (target ≥ 2,000/s
with 3 workers, zero duplicates).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.membership import wait
from storage import outbox

RUNS = 3


class InstantPlatform:
    """Delivers instantly and writes each message's key to a file of its own."""

    platform = "matrix"

    def __init__(self, idempotent: bool, output: Path) -> None:
        self.idempotent = idempotent
        self.connected = self.ready = True
        self.output = output.open("a")

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str,
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        self.output.write(f"{key} {time.time()}\n")
        return key


async def worker(url: str, output: Path, idempotent: bool) -> None:
    """One sender process: drains the outbox, then stops."""
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app:
        platform = InstantPlatform(idempotent, output)
        sender = OutboxSender(app.sessions, {"matrix": platform}, {"matrix": (1e9, 1e9)})  # type: ignore[dict-item]
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        while not await wait(stop, 0.05):
            async with app.sessions() as session:
                if not await outbox.unfinished(session, platforms=["matrix"]):
                    stop.set()
        await sending
        platform.output.close()


async def database(recipients: int) -> tuple[str, str]:
    import asyncpg

    name = f"klbot_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app, app.sessions() as session, session.begin():
        for number in range(recipients):
            await outbox.enqueue(session, chat=f"matrix:@b{number}:local", text="Neuigkeit")
        await outbox.refresh_statistics(session)  # as a broadcast does once it is written
    return name, url


async def drop(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def run(recipients: int, processes: int, idempotent: bool) -> tuple[float, int, int]:
    """Deliveries per second, duplicates and messages missing for one drain."""
    name, url = await database(recipients)
    try:
        with tempfile.TemporaryDirectory() as folder:
            outputs = [Path(folder) / f"{n}.txt" for n in range(processes)]
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.cluster",
                    "worker",
                    url,
                    str(out),
                    "1" if idempotent else "0",
                )
                for out in outputs
            ]
            for process in workers:
                await process.wait()
            keys: Counter[str] = Counter()
            moments: list[float] = []
            for out in outputs:
                lines = [line.split() for line in out.read_text().splitlines()]
                keys.update(key for key, _ in lines)
                moments += [float(moment) for _, moment in lines]
            seconds = max(moments) - min(moments)
    finally:
        await drop(name)
    duplicates = sum(count - 1 for count in keys.values())
    return recipients / seconds, duplicates, recipients - len(keys)


async def main(recipients: int) -> None:
    print(f"{recipients:,} deliveries on PostgreSQL, median of {RUNS} runs")
    for idempotent in (True, False):
        kind = "batch claims (Matrix)" if idempotent else "one claim per message (Telegram)"
        for processes in (1, 3):
            results = [await run(recipients, processes, idempotent) for _ in range(RUNS)]
            rate = statistics.median(r[0] for r in results)
            duplicates = sum(r[1] for r in results)
            missing = sum(r[2] for r in results)
            print(
                f"  {kind}, {processes} worker(s): {rate:,.0f}/s, "
                f"{duplicates} duplicates, {missing} missing"
            )
    print("target: ≥ 2,000/s with 3 workers, zero duplicates")


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        asyncio.run(worker(sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1"))
    else:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
