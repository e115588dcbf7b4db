"""Delivers the outbox through the platform adapters: in order per chat, at the platforms'
limits, with retries.

Every reply to a platform that can push (Telegram, Matrix) is written to the outbox in
the transaction that handled the message, so a crash between handling and sending loses
nothing: the sender picks the message up again when klbot is back.

Sends are pipelined: up to :meth:`Limits.in_flight` requests per platform are under way
at once, their starts spaced by the platform's limiter, so the network's round trip does
not set the speed; each platform keeps its own pace. Each message is claimed (committed)
before its request starts, so a crash leaves at most :meth:`Limits.in_doubt` in doubt. A
chat's next message is only reserved once the previous one is recorded, so a chat's
messages keep their order.

Several klbot processes may share one database: each sender reserves its own batch
(``FOR UPDATE SKIP LOCKED``), says every few seconds that it is alive, and sends at its
share of each platform's limit, so the limit holds for all of them together. A sender
that stops beating is taken over: its batch is free at once, its messages in flight are
sent again where the platform recognises a resend and counted as uncertain where not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters import (
    Adapter,
    PaidRefused,
    PermanentError,
    RateLimited,
    RecipientGone,
    SendError,
)
from bot.core.events import Identity
from bot.core.owed import as_reply
from bot.runtime.limits import Limits, Rates
from bot.runtime.membership import ALIVE_SECONDS, HEARTBEAT_SECONDS, Membership, wait
from bot.runtime.metrics import Metrics
from storage import outbox, sending, subscriptions, workers
from storage.models import utcnow

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300.0
STALE_CLAIM_SECONDS = 120
"""A claim this old without a result, by no known sender, means its sender stopped while
sending (rows claimed before senders were named)."""
LEASE_SECONDS = 60.0
"""A batch stays reserved for its sender this long (plus its sending time at the rate
limit), unless the sender stops beating before."""
CLAIM_AHEAD_SECONDS = 0.1
"""At a high rate (a paid broadcast), the messages starting within this many seconds are
claimed in one commit, never more than :meth:`Limits.in_doubt` unconfirmed (at 1,000/s
a commit per message, or even per 40, would set the pace)."""
QUICK_SECONDS = 0.02
"""A wait for a send to end this short keeps the transaction open (one commit for all)."""
BATCH_GRACE_SECONDS = 0.25
"""A batch's messages start within its time (:meth:`Limits.batch_seconds`) and this;
those left go with the next batch, behind the replies written meanwhile."""
RECORD_EVERY = 50
"""Where a resend is recognised, sent messages are recorded this many at a time."""


async def recipient_gone(session: AsyncSession, chat: str, reason: str) -> None:
    """The person blocked klbot or it left the room: stop all sending there, unsubscribe."""
    await outbox.give_up_chat(session, chat=chat, reason=reason)
    await subscriptions.unsubscribe(session, chat=chat)


Lanes = dict[tuple[str, bool], deque[outbox.Due]]
"""A batch by the limiter its messages wait for: (platform, paid) to messages in order."""


def _platform(message: outbox.Due) -> str:
    return Identity.parse(message.chat).platform


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries: 2, 4, 8 … up to five minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** (attempts + 1))


@dataclass(slots=True)
class _Outcome:
    """What became of one send: the platform's id for it, or the error."""

    message: outbox.Due
    platform_id: str | None = None
    error: BaseException | None = None


class OutboxSender:
    """One loop per process that sends what the outbox holds for the running adapters."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, Adapter],
        limits: Mapping[str, Rates | tuple[float, float]] | None = None,
        *,
        stale_after: float = STALE_CLAIM_SECONDS,
        lease: float = LEASE_SECONDS,
        name: str | None = None,
        metrics: Metrics | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        alive: float = ALIVE_SECONDS,
        stars_ran_out: Callable[[AsyncSession, int], Awaitable[None]] | None = None,
    ) -> None:
        """``limits`` maps a platform to its :class:`Rates` (or overall and per-chat rate);
        ``heartbeat`` and ``alive``: how often this sender beats, and after how long
        without a beat a sender counts as stopped and its work is taken over;
        ``stars_ran_out``: told (in the sender's transaction) of the paid message refused
        for want of Stars, once per process."""
        self.stars_ran_out = stars_ran_out
        self.stale_after = stale_after
        self.lease = lease
        self.sessions = sessions
        self.adapters = dict(adapters)
        self.metrics = metrics or Metrics()
        self.limits = Limits(self.adapters, limits)
        self.membership = Membership(
            sessions, list(self.adapters), self.limits, name, every=heartbeat, alive=alive
        )
        self.name = self.membership.name
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._paused_until: dict[str, float] = {}
        self._next_try = float("inf")
        """When the earliest message held back (rate limit, retry) may go."""
        self._batch_ends = float("inf")
        """When the batch under way ends (``time.monotonic``): its time is up, or a
        platform paused during it may go again."""
        self._flying: dict[int, asyncio.Task[None]] = {}
        """Sends under way, by message id."""
        self._chats_flying: set[str] = set()
        self._flying_on: dict[str, int] = dict.fromkeys(self.adapters, 0)
        """Sends under way per platform, their outcomes not yet taken in."""
        self._claimed_ahead: dict[str, set[int]] = {p: set() for p in self.adapters}
        """Messages of this batch claimed with an earlier one, not yet started."""
        self._outcomes: list[_Outcome] = []
        self._landed = asyncio.Event()
        """Set when an outcome arrives."""
        self._unrecorded: list[tuple[int, str | None]] = []
        """Messages sent on a platform that recognises a resend, recorded some at a time."""
        self._to_confirm: list[tuple[int, str | None]] = []
        """Messages sent on a platform that cannot recognise a resend: recorded with the
        next commit, which comes before any further request starts."""

    def wake(self) -> None:
        """Look at the outbox now (a reply was just written)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; sleeps while nothing is due."""
        self._stop = stop
        await self.membership.join(stop)
        beating = asyncio.create_task(self.membership.keep_beating(stop), name="heartbeat")
        recovering = asyncio.create_task(self._keep_recovering(stop), name="takeover")
        try:
            while not stop.is_set():
                self._wake.clear()
                self._landed.clear()
                try:
                    sent_any = await self.send_due()
                except Exception:
                    log.exception("the outbox could not be read; trying again")
                    sent_any = False
                if not sent_any:
                    await self._idle(stop)
        finally:
            with contextlib.suppress(Exception):
                await self.settle()  # what is under way goes out and is recorded
            await beating
            await recovering
            await self.membership.leave()

    async def _keep_recovering(self, stop: asyncio.Event) -> None:
        """Look for stopped senders every heartbeat, whatever the sending loop does (a
        batch may take seconds), so one is taken over within ``alive`` plus one beat."""
        while True:
            try:
                await self.recover()
            except Exception as exc:
                log.warning("could not look for stopped senders (%s); trying again", exc)
            if await wait(stop, self.membership.every):
                return

    async def _idle(self, stop: asyncio.Event) -> None:
        now = time.monotonic()
        pause = min(IDLE_SECONDS, self.membership.every, max(0.05, self._next_try - now))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wait(stop), pause)
        if time.monotonic() >= self._next_try:
            self._next_try = float("inf")

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = [
            asyncio.create_task(self._wake.wait()),
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self._landed.wait()),
        ]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def recover(self, now: datetime | None = None) -> None:
        """Take over the work of senders that stopped beating: their reserved messages are
        free at once; those they were sending are sent again where the platform recognises
        a resend, and given up as uncertain where not, so none can arrive twice."""
        now = now or utcnow()
        async with self.sessions() as session, session.begin():
            silent = await workers.silent(
                session, since=now - timedelta(seconds=self.membership.alive)
            )
            silent = [name for name in silent if name != self.name]
            in_flight = await sending.take_over(session, senders=silent)
            await workers.forget(session, names=silent)
            # claims of no named sender (made before senders were named) after a long time
            before = now - timedelta(seconds=self.stale_after)
            stale = await sending.stale_claims(
                session, platforms=list(self.adapters), before=before
            )
            claims = in_flight + [m for m in stale if m.id not in self._flying]
            if not claims:
                return
            for platform, adapter in self.adapters.items():
                ids = [m.id for m in claims if m.chat.startswith(f"{platform}:")]
                if not ids:
                    continue
                if adapter.idempotent:
                    await sending.release(session, message_ids=ids)
                else:
                    await sending.give_up_uncertain(session, message_ids=ids)
                log.warning(
                    "%d %s message(s) were being sent when a sender stopped; %s",
                    len(ids),
                    platform,
                    "sending again" if adapter.idempotent else "not resent (uncertain)",
                )
        self.wake()

    async def send_due(self) -> bool:
        """Start sending what is due now; True if anything was started or finished (more
        may be waiting). Sends still under way are recorded by the next call or
        :meth:`settle`."""
        now = time.monotonic()
        ready = [p for p, adapter in self.adapters.items() if adapter.ready]
        platforms = [p for p in ready if self._paused_until.get(p, 0.0) <= now]
        if not platforms:
            return await self._take_in_landed()
        # the same time of sending on each platform, over when a paused one may go again
        paused = [self._paused_until[p] - now for p in ready if p not in platforms]
        seconds = min([self.limits.batch_seconds(ready), *paused])
        sizes = {p: self.limits.batch_size(p, seconds) for p in platforms}
        worst = max(sizes[p] / self.limits.rate(p) for p in platforms)  # unpaid, slowed down
        until = utcnow() + timedelta(seconds=self.lease + 2 * worst)
        async with self.sessions() as session:
            await self._take_in(session)
            due: list[outbox.Due] = []
            for platform in platforms:
                size, name = sizes[platform], self.name
                due += await outbox.reserve(
                    session, platforms=[platform], until=until, limit=size, sender=name
                )
            if not due:
                busy = bool(self._flying or self._unrecorded)
                await session.commit()  # no write lock held while waiting for answers
                await self._settle(session)
                return busy
            # where a resend is recognised, claim the whole batch in one go; elsewhere each
            # message is claimed just before its request starts
            batch = [m.id for m in due if self.adapters[_platform(m)].idempotent]
            claimed = await sending.claim_many(session, message_ids=batch, sender=self.name)
            await session.commit()
            started: set[int] = set()
            theirs: set[int] = set()
            lanes = self._lanes(due)
            resumes = [until for until in self._paused_until.values() if until > now]
            self._batch_ends = min([time.monotonic() + seconds + BATCH_GRACE_SECONDS, *resumes])
            try:
                while lanes and not self._stop.is_set():  # shutting down: the rest stays
                    lane = await self._pick(session, lanes, claimed)
                    if lane is None:
                        break  # the batch is over: the rest waits its turn with the next
                    message = lanes[lane].popleft()
                    if await self._start(session, message, claimed, theirs, lanes[lane]):
                        started.add(message.id)
                    if not lanes[lane]:
                        del lanes[lane]
            except BaseException:  # the database failed, or cancelled: free what did not go
                unsent = sorted({m.id for m in due} - started - theirs)
                with contextlib.suppress(Exception):
                    async with self.sessions() as fresh, fresh.begin():
                        await sending.release(fresh, message_ids=unsent)
                raise
            finally:
                for ahead in self._claimed_ahead.values():
                    ahead.clear()
            await self._take_in(session)
            # reserved (or claimed) but not started (account paused, chat busy): not sent
            leftover = sorted({m.id for m in due} - started - theirs)
            if leftover:
                await sending.release(session, message_ids=leftover)
            await session.commit()
            return bool(started)

    async def _pick(
        self, session: AsyncSession, lanes: Lanes, mine: set[int]
    ) -> tuple[str, bool] | None:
        """The lane to start next: the one due first, if it has a free place; if not, the
        next due of those with one, once its time has come, unless an answer frees a place
        before. None when the batch's time is up."""
        while True:
            order = sorted(lanes, key=lambda lane: self._turn(lane, lanes[lane][0]))
            due_first = self._turn(order[0], lanes[order[0]][0])[0]
            if max(time.monotonic(), due_first) > self._batch_ends:
                self._next_try = min(self._next_try, due_first)  # not the idle's 2 s
                return None
            if len(order) == 1:
                return order[0]
            free = [lane for lane in order if self._has_place(lane, lanes[lane][0], mine)]
            if not free or free[0] == order[0]:
                return order[0]  # (none free: the lane due first waits for an answer)
            wait = self._turn(free[0], lanes[free[0]][0])[0] - time.monotonic()
            if wait <= 0:
                return free[0]
            self._landed.clear()
            if wait > QUICK_SECONDS:
                await session.commit()  # no write lock held while waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._landed.wait(), wait)

    def _has_place(self, lane: tuple[str, bool], first: outbox.Due, mine: set[int]) -> bool:
        """Whether ``first``, the next of ``lane``, may start now as far as the sends
        under way go (answers that arrived count as free places)."""
        platform = lane[0]
        landed = sum(_platform(outcome.message) == platform for outcome in self._outcomes)
        under_way = self._flying_on[platform] - landed
        if under_way >= self.limits.in_flight(platform):
            return False
        ahead = len(self._claimed_ahead[platform])
        return first.id in mine or under_way + ahead < self.limits.in_doubt(platform)

    def _lanes(self, due: list[outbox.Due]) -> Lanes:
        """The batch by the limiter its messages wait for (platform, paid), each in order."""
        lanes: Lanes = {}
        for message in due:
            platform = _platform(message)
            lane = (platform, message.paid and self.limits.paid(platform))
            lanes.setdefault(lane, deque()).append(message)
        return lanes

    def _turn(self, lane: tuple[str, bool], first: outbox.Due) -> tuple[float, int]:
        """When ``lane``'s next message (``first``) may start (``time.monotonic``, the
        event loop's clock): the lane whose limiter lets it go first starts next, so each
        platform keeps its own pace (Matrix's 10 a second does not hold Telegram's 30
        back); lanes sharing a limiter take turns by age."""
        platform, paid = lane
        return self.limits.overall(platform, paid=paid).next_start(), first.id

    async def settle(self) -> None:
        """Wait for every send under way and record how it went."""
        if not self._flying and not self._outcomes and not self._unrecorded:
            return
        async with self.sessions() as session:
            await self._settle(session)

    async def _settle(self, session: AsyncSession) -> None:
        if self._flying:
            await asyncio.wait(list(self._flying.values()))
        await self._take_in(session, everything=True)
        await session.commit()

    async def _take_in_landed(self) -> bool:
        if not self._outcomes:
            return False
        async with self.sessions() as session:
            await self._take_in(session)
            await session.commit()
        return True

    async def _await_landing(self, session: AsyncSession) -> None:
        """Wait for the next send to end; if that takes a while, commit first, so no
        write lock is held while waiting for the platform (SQLite has one writer)."""
        self._landed.clear()
        try:
            await asyncio.wait_for(self._landed.wait(), QUICK_SECONDS)
        except TimeoutError:
            await session.commit()
            await self._landed.wait()

    def _pause(self, platform: str, seconds: float) -> None:
        if not self._paused(platform):  # one 429 episode, however many were in flight
            self.limits.slow_down(platform)
        until = time.monotonic() + seconds
        self._paused_until[platform] = max(self._paused_until.get(platform, 0.0), until)
        self._batch_ends = min(self._batch_ends, self._paused_until[platform])

    def _paused(self, platform: str) -> bool:
        return self._paused_until.get(platform, 0.0) > time.monotonic()

    async def _start(
        self,
        session: AsyncSession,
        message: outbox.Due,
        mine: set[int],
        theirs: set[int],
        upcoming: Iterable[outbox.Due],
    ) -> bool:
        """Wait for a free place, claim ``message`` (recording what landed meanwhile in the
        same commit), wait for the limiter and start its request. False if not started.
        ``mine``: messages this sender claimed; ``theirs``: claimed by another sender."""
        chat = Identity.parse(message.chat)
        platform = chat.platform
        if message.id in theirs or self._paused(platform) or message.chat in self._chats_flying:
            return False  # a chat's next message starts only after the previous one ended
        per_chat = self.limits.chat(chat)
        if not per_chat.has_capacity():
            self._next_try = min(self._next_try, time.monotonic() + 1.0)
            return False
        while self._flying_on[platform] >= self.limits.in_flight(platform) or (
            message.id not in mine and self._in_doubt(platform) >= self.limits.in_doubt(platform)
        ):  # no place, or (the other lane claimed ahead) no message more may be in doubt
            if not self._outcomes:
                await self._await_landing(session)
            await self._take_in(session)  # frees places; committed with the claim below
        paid = message.paid and self.limits.paid(platform)
        if message.id not in mine:
            await self._take_in(session)  # what landed is recorded with the claim
            group = self._claim_group(message, paid, mine | theirs, upcoming)
            if len(group) == 1:
                got = (
                    {message.id}
                    if await sending.claim(session, message_id=message.id, sender=self.name)
                    else set()
                )
            else:
                got = await sending.claim_many(session, message_ids=group, sender=self.name)
            await session.commit()  # claimed (and what landed recorded) before sending
            self._claimed_ahead[platform] |= got - {message.id}
            mine |= got
            theirs |= set(group) - got
            if message.id not in got:
                return False  # another sender has it
        # the limiter last, right before the request: a slow commit before it would
        # otherwise bunch the requests after it (601 in one second at 600/s)
        await self.limits.overall(platform, paid=paid).acquire()
        if self._paused(platform) or self._stop.is_set():
            return False  # a 429 arrived while this one waited its turn: released, not sent
        await per_chat.acquire()
        self._flying_on[platform] += 1
        self._claimed_ahead[platform].discard(message.id)
        self._chats_flying.add(message.chat)
        task = asyncio.create_task(self._send(message, chat, paid), name=f"send-{message.id}")
        self._flying[message.id] = task
        return True

    def _in_doubt(self, platform: str) -> int:
        """Messages to ``platform`` claimed and not yet known sent (a crash now leaves
        them uncertain): in flight, and claimed ahead."""
        return self._flying_on[platform] + len(self._claimed_ahead[platform])

    def _claim_group(
        self, message: outbox.Due, paid: bool, decided: set[int], upcoming: Iterable[outbox.Due]
    ) -> list[int]:
        """``message`` and, at a high rate, the next few of the batch that start within
        ``CLAIM_AHEAD_SECONDS``: claimed in one commit, so no more than
        :meth:`Limits.in_doubt` are ever claimed and unconfirmed."""
        platform = _platform(message)
        ahead = int(self.limits.rate(platform, paid=paid) * CLAIM_AHEAD_SECONDS)
        room = self.limits.in_doubt(platform) - self._in_doubt(platform) - 1
        group = [message.id]
        for other in upcoming:
            if len(group) > min(ahead, room):
                break
            if (
                _platform(other) == platform
                and (other.paid and self.limits.paid(platform)) == paid
                and other.id not in decided
                and other.chat not in self._chats_flying
            ):
                group.append(other.id)
        return group

    async def _send(self, message: outbox.Due, chat: Identity, paid: bool) -> None:
        """One request; its outcome is taken in by the loop (the only one that writes)."""
        outcome = _Outcome(message)
        started = time.perf_counter()
        try:
            outcome.platform_id = await self.adapters[chat.platform].send(
                chat, as_reply(message), f"outbox-{message.id}", paid=paid, edits=message.edits
            )
            seconds = time.perf_counter() - started
            self.limits.observe(chat.platform, seconds)
            self.metrics.send_seconds.labels(chat.platform).observe(seconds)
        except BaseException as exc:  # every failure is handled by the loop
            outcome.error = exc
            if isinstance(exc, RateLimited):  # no further start until it has passed
                self._pause(chat.platform, exc.retry_after)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._outcomes.append(outcome)
            self._flying.pop(message.id, None)
            self._landed.set()

    async def _take_in(self, session: AsyncSession, *, everything: bool = False) -> None:
        """Write what became of the sends that ended (the caller commits)."""
        while self._outcomes:  # one at a time: if a write fails, the rest stays
            outcome = self._outcomes[0]
            message = outcome.message
            platform = _platform(message)
            if outcome.error is None:
                self.metrics.deliveries.labels(platform, "sent").inc()
                sent = (message.id, outcome.platform_id)
                if self.adapters[platform].idempotent:  # a resend is harmless: recorded
                    self._unrecorded.append(sent)  # with the next few, in one statement
                else:
                    self._to_confirm.append(sent)
            else:
                await self._failed(session, message, outcome.error)
            self._outcomes.pop(0)
            self._flying_on[platform] -= 1
            self._chats_flying.discard(message.chat)
        if self._to_confirm:
            await sending.mark_sent_many(session, sent=self._to_confirm)
            self._to_confirm = []
        if self._unrecorded and (everything or len(self._unrecorded) >= RECORD_EVERY):
            await sending.mark_sent_many(session, sent=self._unrecorded)
            self._unrecorded = []

    async def _failed(self, session: AsyncSession, message: outbox.Due, exc: BaseException) -> None:
        platform = _platform(message)
        counted = self.metrics.deliveries
        if isinstance(exc, RecipientGone):
            counted.labels(platform, "gone").inc()
            log.info("a %s recipient is gone (blocked klbot or left)", platform)
            await recipient_gone(session, message.chat, str(exc))
            return
        if isinstance(exc, PaidRefused):  # no Stars left: the rest goes at the free limit
            counted.labels(platform, "retry").inc()
            if self.limits.paid(platform):
                log.warning(
                    "paid broadcasts on %s stopped (%s); free limit from now", platform, exc
                )
                self.limits.stop_paying(platform)
                if self.stars_ran_out is not None:
                    await self.stars_ran_out(session, message.id)
            await outbox.retry_later(session, message_id=message.id, not_before=utcnow())
            return
        if isinstance(exc, PermanentError):
            counted.labels(platform, "refused").inc()
            log.warning("a message to a %s chat was refused: %s", platform, exc)
            await outbox.give_up(session, message_id=message.id, reason=str(exc))
            return
        if not isinstance(exc, SendError):  # a library fault: try again later, never lose it
            log.error("sending to %s failed unexpectedly", platform, exc_info=exc)
        counted.labels(platform, "retry").inc()
        wait = backoff(message.attempts)
        if isinstance(exc, RateLimited):  # paused (the whole account) when it arrived
            wait = max(0.0, self._paused_until.get(platform, 0.0) - time.monotonic())
        self._next_try = min(self._next_try, time.monotonic() + wait)
        log.warning("sending to %s failed (%s); retrying in %.0f s", platform, exc, wait)
        await outbox.retry_later(
            session, message_id=message.id, not_before=utcnow() + timedelta(seconds=wait)
        )
