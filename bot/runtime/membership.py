"""A sender's membership among the live senders of one database: it says every few seconds
that it is alive and learns how many share each platform's limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.limits import Limits
from storage import workers
from storage.models import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
"""How often a sender says it is alive and counts the others."""
ALIVE_SECONDS = 3 * HEARTBEAT_SECONDS
"""A sender not heard from for this long no longer counts (it stopped or was killed): its
work is taken over, so a stopped sender is known within ``ALIVE_SECONDS`` plus one beat."""
LEAVE_TIMEOUT = 3.0
JOIN_CHECK_SECONDS = 0.25
"""While joining, how often to beat and look whether the other senders count this one."""


def worker_name() -> str:
    """A name for this process's sender, unique across machines and restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Membership:
    """Heartbeats of one sender; each one re-divides the platforms' limits in ``limits``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platforms: list[str],
        limits: Limits,
        name: str | None = None,
        *,
        every: float = HEARTBEAT_SECONDS,
        alive: float = ALIVE_SECONDS,
    ) -> None:
        """``every``: seconds between heartbeats; ``alive``: a sender not heard from for
        this long has stopped (the others take over its work)."""
        self.sessions, self.platforms, self.limits = sessions, platforms, limits
        self.name = name or worker_name()
        self.every, self.alive = every, alive

    async def beat(self) -> int:
        """Say this sender is alive; share each platform's limit among the live senders.
        Returns the most senders any of this sender's platforms has."""
        async with self.sessions() as session, session.begin():
            await workers.heartbeat(session, name=self.name, platforms=self.platforms)
            since = utcnow() - timedelta(seconds=self.alive)
            counts = await workers.alive(session, since=since)
        for platform in self.platforms:
            self.limits.share(platform, counts[platform])
        return max((counts[p] for p in self.platforms), default=1)

    async def join(self, stop: asyncio.Event) -> None:
        """Beat every ``JOIN_CHECK_SECONDS`` until every other live sender has beaten since
        this one first did, and so counts it; only then may this sender send (before, they
        would together send above the limit). Beating again matters twice: two senders
        whose first beats overlap do not see each other in them, and two joining at once
        must each see the other beat. A sender silent for ``alive`` seconds is not waited
        for: it is being taken over."""
        deadline = time.monotonic() + self.alive
        joined: datetime | None = None
        while True:
            try:
                await self.beat()
                if joined is None:
                    joined = utcnow()
                elif not await self._not_yet_counting(joined):
                    return
            except Exception as exc:
                log.warning("could not join the other senders (%s); trying again", exc)
            if time.monotonic() >= deadline or await wait(stop, JOIN_CHECK_SECONDS):
                return

    async def _not_yet_counting(self, joined: datetime) -> int:
        async with self.sessions() as session:
            return await workers.not_yet_counting(
                session,
                name=self.name,
                since=joined,
                alive_since=utcnow() - timedelta(seconds=self.alive),
            )

    async def keep_beating(self, stop: asyncio.Event) -> None:
        """Heartbeats every ``every`` seconds until ``stop``, whatever the sender does."""
        while not await wait(stop, self.every):
            try:
                await self.beat()
            except Exception as exc:
                log.warning("heartbeat failed (%s); trying again", exc)

    async def leave(self) -> None:
        """Stop counting as a sender (the others take over this one's share at once; if
        this fails, they do so once its heartbeat is old)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(LEAVE_TIMEOUT):
                async with self.sessions() as session, session.begin():
                    before = utcnow() - timedelta(days=1)
                    await workers.leave(session, name=self.name, before=before)


async def live_platforms(session: AsyncSession) -> set[str]:
    """The platforms some running sender serves now."""
    counts = await workers.alive(session, since=utcnow() - timedelta(seconds=ALIVE_SECONDS))
    return {platform for platform, count in counts.items() if count}


async def wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
