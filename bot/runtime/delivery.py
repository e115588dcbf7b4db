"""Delivers the outbox through the platform adapters: in order, within rate limits, with retries.

Every reply to a platform that can push (Telegram, Matrix) is written to the outbox in
the transaction that handled the message, so a crash between handling and sending loses
nothing: the sender picks the message up again when klbot is back.

Several klbot processes may share one database: each sender reserves its own batch
(``FOR UPDATE SKIP LOCKED``), says every few seconds that it is alive, and sends at its
share of each platform's limit, so the limit holds for all of them together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters import Adapter, PermanentError, RateLimited, RecipientGone, SendError
from bot.core.events import Identity
from bot.core.owed import as_reply
from bot.runtime.limits import Limits
from bot.runtime.membership import HEARTBEAT_SECONDS, Membership
from bot.runtime.metrics import Metrics
from storage import outbox, sending, subscriptions
from storage.models import utcnow

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300.0
STALE_CLAIM_SECONDS = 120
"""A claim this old without a result means its sender stopped while sending (one Bot API
call may take 30 s, a reply several calls)."""
LEASE_SECONDS = 60.0
"""A batch stays reserved for its sender this long (plus its sending time at the rate
limit); a sender that died leaves its unsent batch to the others after it."""
RECORD_EVERY = 50
"""Where a resend is recognised, sent messages are recorded this many at a time."""


async def recipient_gone(session: AsyncSession, chat: str, reason: str) -> None:
    """The person blocked klbot or it left the room: stop all sending there, unsubscribe."""
    await outbox.give_up_chat(session, chat=chat, reason=reason)
    await subscriptions.unsubscribe(session, chat=chat)


def _platform(message: outbox.Due) -> str:
    return Identity.parse(message.chat).platform


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries: 2, 4, 8 … up to five minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** (attempts + 1))


class OutboxSender:
    """One loop per process that sends what the outbox holds for the running adapters."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, Adapter],
        limits: Mapping[str, tuple[float, float]] | None = None,
        *,
        stale_after: float = STALE_CLAIM_SECONDS,
        lease: float = LEASE_SECONDS,
        name: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """``limits`` maps a platform to (messages per second overall, per chat)."""
        self.stale_after = stale_after
        self.lease = lease
        self.sessions = sessions
        self.adapters = dict(adapters)
        self.metrics = metrics or Metrics()
        self.limits = Limits(self.adapters, limits)
        self.membership = Membership(sessions, list(self.adapters), self.limits, name)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._paused_until: dict[str, float] = {}
        self._next_try = float("inf")
        """When the earliest message held back (rate limit, retry) may go."""
        self._unrecorded: list[tuple[int, str | None]] = []
        """Messages of this batch claimed together, on a platform that recognises a resend."""

    def wake(self) -> None:
        """Look at the outbox now (a reply was just written)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; sleeps while nothing is due."""
        self._stop = stop
        await self.membership.join(stop)
        beating = asyncio.create_task(self.membership.keep_beating(stop), name="heartbeat")
        last_recovery = 0.0
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    if time.monotonic() - last_recovery > self.stale_after / 3:
                        last_recovery = time.monotonic()
                        await self.recover()
                    sent_any = await self.send_due()
                except Exception:
                    log.exception("the outbox could not be read; trying again")
                    sent_any = False
                if not sent_any:
                    await self._idle(stop)
        finally:
            await beating
            await self.membership.leave()

    async def _idle(self, stop: asyncio.Event) -> None:
        now = time.monotonic()
        pause = min(IDLE_SECONDS, HEARTBEAT_SECONDS, max(0.05, self._next_try - now))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wait(stop), pause)
        if time.monotonic() >= self._next_try:
            self._next_try = float("inf")

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def recover(self) -> None:
        """Messages a stopped sender claimed but never confirmed: on platforms that recognise
        a resend, send them again; elsewhere give them up, so none can arrive twice."""
        before = utcnow() - timedelta(seconds=self.stale_after)
        async with self.sessions() as session, session.begin():
            for platform, adapter in self.adapters.items():
                stale = await sending.stale_claims(session, platforms=[platform], before=before)
                if not stale:
                    continue
                if adapter.idempotent:
                    await sending.release(session, message_ids=stale)
                else:
                    await sending.give_up_uncertain(session, message_ids=stale)
                log.warning(
                    "%d %s message(s) were being sent when a sender stopped; %s",
                    len(stale),
                    platform,
                    "sending again" if adapter.idempotent else "not resent",
                )

    async def _record(self, session: AsyncSession) -> None:
        """Record the sent messages not yet recorded, in one statement and one commit."""
        if self._unrecorded:
            await sending.mark_sent_many(session, sent=self._unrecorded)
            self._unrecorded = []
        await session.commit()

    async def send_due(self) -> bool:
        """Send what is due now; True if anything was sent (more may be waiting)."""
        now = time.monotonic()
        platforms = [
            p
            for p, adapter in self.adapters.items()
            if self._paused_until.get(p, 0.0) <= now and adapter.ready
        ]
        if not platforms:
            return False
        size = self.limits.batch_size(platforms)
        rate = min(self.limits.rate(p) for p in platforms)
        lease = timedelta(seconds=self.lease + 2 * size / rate)
        async with self.sessions() as session:
            due = await outbox.reserve(
                session, platforms=platforms, until=utcnow() + lease, limit=size
            )
            # where a resend is recognised, claim the whole batch in one go; elsewhere each
            # message is claimed on its own, so a crash leaves at most one in doubt
            batch = [m.id for m in due if self.adapters[_platform(m)].idempotent]
            claimed = await sending.claim_many(session, message_ids=batch)
            await session.commit()
            blocked: set[str] = set()
            attempted: set[int] = set()
            sent_any = False
            for position, message in enumerate(due):
                if self._stop.is_set():
                    break  # shutting down: the rest stays for the next start
                platform = _platform(message)
                paused = self._paused_until.get(platform, 0.0) > time.monotonic()
                if message.chat in blocked or paused:
                    continue  # keep a chat's messages in order: none overtakes a failed one
                following = due[position + 1] if position + 1 < len(due) else None
                attempted.add(message.id)
                if await self._send(session, message, claimed, following):
                    sent_any = True
                else:
                    blocked.add(message.chat)
            await self._record(session)
            # reserved but skipped (chat blocked, account paused): certainly not sent
            leftover = {m.id for m in due} - attempted
            if leftover:
                await sending.release(session, message_ids=sorted(leftover))
                await session.commit()
            return sent_any

    async def _send(
        self,
        session: AsyncSession,
        message: outbox.Due,
        claimed: set[int],
        following: outbox.Due | None,
    ) -> bool:
        """Send one message and record its outcome; on success the same commit claims the
        ``following`` message, so each message costs one commit and at most one is in doubt."""
        chat = Identity.parse(message.chat)
        reply = as_reply(message)
        async with self.limits.overall(chat.platform), self.limits.chat(chat):
            if message.id not in claimed:
                if not await sending.claim(session, message_id=message.id):
                    await session.commit()
                    return True  # another sender has it
                await session.commit()  # claimed before sending: a crash is never a resend
            counted = self.metrics.deliveries
            started = time.perf_counter()
            try:
                platform_id = await self.adapters[chat.platform].send(
                    chat, reply, f"outbox-{message.id}"
                )
            except RecipientGone as exc:
                counted.labels(chat.platform, "gone").inc()
                log.info("a %s recipient is gone (blocked klbot or left)", chat.platform)
                await recipient_gone(session, message.chat, str(exc))
                await session.commit()
                return True
            except PermanentError as exc:
                counted.labels(chat.platform, "refused").inc()
                log.warning("a message to a %s chat was refused: %s", chat.platform, exc)
                await outbox.give_up(session, message_id=message.id, reason=str(exc))
                await session.commit()
                return True
            except Exception as exc:  # a library fault: try again later, never lose it
                if not isinstance(exc, SendError):
                    log.exception("sending to %s failed unexpectedly", chat.platform)
                counted.labels(chat.platform, "retry").inc()
                wait = (
                    exc.retry_after if isinstance(exc, RateLimited) else backoff(message.attempts)
                )
                if isinstance(exc, RateLimited):  # flood control holds for the whole account
                    self._paused_until[chat.platform] = time.monotonic() + wait
                self._next_try = min(self._next_try, time.monotonic() + wait)
                log.warning(
                    "sending to %s failed (%s); retrying in %.0f s", chat.platform, exc, wait
                )
                await outbox.retry_later(
                    session, message_id=message.id, not_before=utcnow() + timedelta(seconds=wait)
                )
                await session.commit()
                return False
        self.metrics.send_seconds.labels(chat.platform).observe(time.perf_counter() - started)
        counted.labels(chat.platform, "sent").inc()
        if self.adapters[chat.platform].idempotent:  # a resend is harmless, so the
            # outcome is recorded with the next few, one commit for all of them
            self._unrecorded.append((message.id, platform_id))
            if len(self._unrecorded) >= RECORD_EVERY:
                await self._record(session)
            return True
        next_id = following.id if following and following.id not in claimed else None
        got_next = await sending.mark_sent(
            session, message_id=message.id, platform_id=platform_id, claim_next=next_id
        )
        if got_next and next_id is not None:
            claimed.add(next_id)
        await session.commit()
        return True
