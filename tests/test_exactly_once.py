"""A delivering process killed with SIGKILL mid-broadcast, then restarted: nobody twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime.app import App
from bot.runtime.config import Config
from storage import outbox
from storage.models import OutboxMessage
from tests.deliver_worker import IN_FLIGHT

pytestmark = pytest.mark.both_databases

RECIPIENTS = 1500


def worker(db_url: str, output: Path, platform: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.deliver_worker", db_url, str(output), platform],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def delivered(output: Path) -> Counter[str]:
    if not output.exists():
        return Counter()
    return Counter(line.split("\t")[1] for line in output.read_text().splitlines() if line)


async def test_a_run_written_twice_owes_each_recipient_one_message(app: App) -> None:
    """Two processes firing the same run write each recipient's row once, also past the
    rows one INSERT statement holds."""
    owed = [outbox.Owed(f"telegram:{n}", "Neuigkeit", f"run:{n}") for n in range(outbox.CHUNK + 20)]
    async with app.sessions() as session, session.begin():
        assert await outbox.enqueue_many(session, owed[:30]) == 30
        assert await outbox.enqueue_many(session, owed) == len(owed) - 30
        assert await outbox.enqueue_many(session, reversed(owed)) == 0
    async with app.sessions() as session:
        chats = list(await session.scalars(select(OutboxMessage.chat)))
    assert sorted(chats) == sorted(m.chat for m in owed)


@pytest.mark.parametrize("platform", ["matrix", "telegram"])
async def test_kill_minus_nine_in_the_middle_of_a_broadcast(
    app: App, config: Config, db_url: str, tmp_path: Path, platform: str
) -> None:
    async with app.sessions() as session, session.begin():
        await outbox.enqueue_many(
            session,
            (outbox.Owed(f"{platform}:r{n}", "Neuigkeit", f"crash:{n}") for n in range(RECIPIENTS)),
        )
    output = tmp_path / "platform.txt"
    first = worker(db_url, output, platform)
    deadline = time.monotonic() + 120
    while sum(delivered(output).values()) < RECIPIENTS // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)  # in the middle of the broadcast
    first.wait()
    assert sum(delivered(output).values()) < RECIPIENTS, "the kill came too late to test much"
    second = worker(db_url, output, platform)
    assert second.wait(timeout=300) == 0, second.stderr.read() if second.stderr else ""

    counts = delivered(output)
    assert max(counts.values()) == 1, "a recipient got a message twice"
    async with app.sessions() as session:
        uncertain = list(
            await session.scalars(
                select(OutboxMessage.chat).where(OutboxMessage.failed.is_not(None))
            )
        )
    if platform == "matrix":  # a resend is recognised: everyone gets exactly one
        assert len(counts) == RECIPIENTS and uncertain == []
    else:  # those in flight at the kill may or may not have arrived: not resent
        assert len(uncertain) <= IN_FLIGHT and len(counts) >= RECIPIENTS - IN_FLIGHT
        assert RECIPIENTS <= len(counts) + len(uncertain) <= RECIPIENTS + IN_FLIGHT
