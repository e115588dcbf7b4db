"""A delivering klbot process for the crash test: sends the outbox to a fake platform that
writes every message it receives to a file, until nothing is left.

Usage: python -m tests.deliver_worker DATABASE_URL OUTPUT_FILE PLATFORM
PLATFORM ``matrix`` recognises a resend by its transaction id (as Synapse does);
``telegram`` cannot (as the Bot API cannot).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.events import Identity, Reply
from bot.runtime.app import App
from bot.runtime.config import load_config
from bot.runtime.delivery import OutboxSender
from bot.runtime.limits import Rates
from bot.runtime.membership import wait
from storage import outbox


class FilePlatform:
    """Appends ``key<TAB>chat`` per message; an idempotent one ignores a key it has seen."""

    def __init__(self, platform: str, output: Path) -> None:
        self.platform = platform
        self.idempotent = platform == "matrix"
        self.connected = self.ready = True
        self.output = output
        self.seen = (
            {line.split("\t")[0] for line in output.read_text().splitlines()}
            if (output.exists())
            else set()
        )

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str = "",
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        await asyncio.sleep(0.001)  # a request takes a moment: several are in flight
        if self.idempotent and key in self.seen:
            return key
        self.seen.add(key)
        with self.output.open("a") as handle:
            handle.write(f"{key}\t{chat}\n")
        return key


IN_FLIGHT = 8
"""The most sends under way at once: a kill leaves at most these in doubt."""


async def main(url: str, output: Path, platform: str) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": url})
    async with App.open(config) as app:
        adapter = FilePlatform(platform, output)
        sender = OutboxSender(
            app.sessions,
            {platform: adapter},  # type: ignore[dict-item]
            {platform: Rates(1e9, 1e9, in_flight=IN_FLIGHT)},
            heartbeat=0.2,  # a killed worker is known dead after 0.6 s, not 6 s
            alive=0.6,
        )
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        while not await wait(stop, 0.2):
            async with app.sessions() as session:
                if not await outbox.unfinished(session, platforms=[platform]):
                    stop.set()
        await sending


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
