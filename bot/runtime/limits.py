"""A sender's rate limits: each platform's overall limit, shared evenly among the workers
that send to it, each chat's own limit, and how many sends may be in flight at once."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from bot.core.events import Identity

SAFETY = 0.985
"""Evenly spaced sends a little under the limit: a platform counting in sliding windows
never sees a burst above it, and 98.5 % of it is still used."""
LATE_SECONDS = 0.01
"""A start may come this much before its place in an even spacing: what a late wake-up
cost the previous one is made up (at 30/s one start after a pause comes 10 ms early; at
1,000/s ten may go at once, as the event loop cannot wake a thousand times a second)."""
PAID_SAFETY = 0.96
"""Paid broadcasts keep further below their limit: at 1,000 a second ``SAFETY`` leaves
room for 15 more messages in a second, but a catch-up of ``LATE_SECONDS`` and the 20 ms or
so by which the network and the platform bunch arrivals add 30, and each 429 stops all
sending for a second (at 0.985, one or two 429s in a 5-second broadcast cost 20 %)."""
EASE, SLOWEST = 0.98, 0.9
"""After each 429 the overall rate drops by 2 %, to 90 % of the limit at the lowest."""
CHAT_BURST = 3
"""A chat may get a few messages at once, as long as the average stays within its rate."""
GROUP_PER_MINUTE = 20
"""Telegram's limit for messages to one group."""
MAX_CHAT_LIMITERS = 10_000
"""Per-chat limiters kept at most (memory stays flat during a broadcast to 100,000)."""
BATCH_SECONDS = 10.0
"""A batch holds at most this many seconds of sending ..."""
BATCH = 100
"""... and at most this many messages (a reply written during a broadcast waits for the
batch under way: 3 s at 30/s) ..."""
FAST_BATCH = 1_000
"""... or, at a higher rate (a paid broadcast), one second of sending, up to this many:
between two batches sending pauses for some 20 ms (a query and commits), and at 1,000/s
batches of 100 paused it ten times a second."""
FIRST_LATENCY = 0.2
"""Seconds a request is assumed to take until some were measured."""
HEADROOM = 1.5
"""In flight: this many times what the rate and the measured latency need, plus one, so a
slow answer now and then does not hold the next start back."""


class Pacer:
    """Starts spaced evenly at a rate. Each start is due one interval after the previous
    one was *due*, not after it happened, so the event loop's late wake-ups (about a
    millisecond each) add up to nothing; a bucket of one, which counts from the actual
    start, lost them at every start (93 % of 50/s). After a pause the plan starts again
    at most :data:`LATE_SECONDS` in the past. A new rate applies from the next start."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._due = -math.inf
        self._turn = asyncio.Lock()  # first come, first served

    def next_start(self) -> float:
        """When (the event loop's clock) the next start may go; past if it may now."""
        return self._due + 1 / self.rate

    async def acquire(self) -> None:
        """Wait for the next start."""
        async with self._turn:
            loop = asyncio.get_running_loop()
            while (wait := self._due + 1 / self.rate - loop.time()) > 0:
                await asyncio.sleep(wait)  # and again if the rate fell meanwhile
            self._due = max(self._due + 1 / self.rate, loop.time() - LATE_SECONDS)


@dataclass(frozen=True, slots=True)
class Rates:
    """One platform's limits as configured."""

    overall: float = 30.0
    """Messages a second for the whole account (Telegram's documented limit)."""
    per_chat: float = 1.0
    """Messages a second to one chat."""
    paid: float | None = None
    """Messages a second of paid broadcasts (Telegram Stars), where enabled."""
    in_flight: int = 100
    """The most requests under way at once (a crash leaves at most these in doubt)."""


DEFAULT_LIMITS = Rates()


def _rates(value: Rates | tuple[float, float]) -> Rates:
    return value if isinstance(value, Rates) else Rates(overall=value[0], per_chat=value[1])


class Limits:
    """Rate limiters for the platforms one sender serves."""

    def __init__(
        self,
        platforms: Iterable[str],
        rates: Mapping[str, Rates | tuple[float, float]] | None = None,
    ) -> None:
        """``rates`` maps a platform to its :class:`Rates` or (overall, per chat)."""
        rates = rates or {}
        self._rates = {p: _rates(rates.get(p, DEFAULT_LIMITS)) for p in platforms}
        self._workers = dict.fromkeys(self._rates, 1)
        self._latency = dict.fromkeys(self._rates, FIRST_LATENCY)
        self._eased = dict.fromkeys(self._rates, 1.0)
        self._paid_off: set[str] = set()
        self._overall = {
            (p, paid): Pacer(self.rate(p, paid=bool(paid))) for p in self._rates for paid in (0, 1)
        }
        self._per_chat: dict[str, AsyncLimiter] = {}

    def _respace(self, platform: str) -> None:
        """The pacers follow a new rate (the next start is spaced at it)."""
        for paid in (0, 1):
            self._overall[platform, paid].rate = self.rate(platform, paid=bool(paid))

    def share(self, platform: str, workers: int) -> None:
        """``workers`` senders (this one included) now share ``platform``'s limit."""
        workers = max(1, workers)
        if platform in self._rates and self._workers[platform] != workers:
            self._workers[platform] = workers
            self._respace(platform)

    def slow_down(self, platform: str) -> None:
        """The platform answered 429 although klbot kept to its limit (its clock counts
        arrivals, and the network bunches them): keep a little further below it, down to
        ``SLOWEST`` of the limit."""
        self._eased[platform] = max(SLOWEST, self._eased[platform] * EASE)
        self._respace(platform)

    def paid(self, platform: str) -> bool:
        """Whether paid broadcasts go above ``platform``'s free limit now."""
        return self._rates[platform].paid is not None and platform not in self._paid_off

    def stop_paying(self, platform: str) -> None:
        """The account cannot pay any more (its Stars ran out): paid broadcasts go at the
        free limit from now on."""
        self._paid_off.add(platform)
        self._overall[platform, 1] = self._overall[platform, 0]

    def rate(self, platform: str, *, paid: bool = False) -> float:
        """This sender's part of ``platform``'s overall limit, in messages a second."""
        rates = self._rates[platform]
        if paid and rates.paid and self.paid(platform):
            overall = PAID_SAFETY * rates.paid
        else:
            overall = SAFETY * rates.overall
        return self._eased[platform] * overall / self._workers[platform]

    def fastest(self, platform: str) -> float:
        """``platform``'s rate, or its paid rate where that is higher."""
        return max(self.rate(platform), self.rate(platform, paid=True))

    def batch_seconds(self, platforms: Iterable[str]) -> float:
        """How long one batch sends: the same on each of ``platforms``, so none waits for
        another's at the batch's end; the shortest of their batches (``BATCH``)."""
        return min(
            min(max(BATCH, min(FAST_BATCH, rate)), rate * BATCH_SECONDS) / rate
            for rate in map(self.fastest, platforms)
        )

    def batch_size(self, platform: str, seconds: float) -> int:
        """How many messages ``platform`` sends in ``seconds`` at its fastest rate."""
        return max(1, round(self.fastest(platform) * seconds))

    def observe(self, platform: str, seconds: float) -> None:
        """A request to ``platform`` took ``seconds`` (a moving average is kept)."""
        self._latency[platform] = 0.8 * self._latency[platform] + 0.2 * seconds

    def in_flight(self, platform: str) -> int:
        """How many sends to ``platform`` may be under way at once: enough to keep to the
        rate at the latency measured, within the configured bound."""
        needed = math.ceil(self.fastest(platform) * self._latency[platform] * HEADROOM) + 1
        return max(1, min(self._rates[platform].in_flight, needed))

    def in_doubt(self, platform: str) -> int:
        """The most messages to ``platform`` claimed and not yet known sent (the configured
        bound on sends in flight): after a crash at most these may or may not have
        arrived."""
        return self._rates[platform].in_flight

    def overall(self, platform: str, *, paid: bool = False) -> Pacer:
        return self._overall[platform, int(paid and self.paid(platform))]

    def chat(self, chat: Identity) -> AsyncLimiter:
        """One chat's limiter: Telegram groups (negative ids) get 20 a minute, others the
        configured rate per chat, with a small burst."""
        key = str(chat)
        limiter = self._per_chat.get(key)
        if limiter is None:
            if len(self._per_chat) >= MAX_CHAT_LIMITERS:
                self._per_chat.clear()  # a broadcast touches each chat once: forget old ones
            if chat.platform == "telegram" and chat.id.startswith("-"):
                limiter = AsyncLimiter(GROUP_PER_MINUTE, 60)
            else:
                rate = self._rates[chat.platform].per_chat
                limiter = AsyncLimiter(CHAT_BURST * rate, CHAT_BURST)
            self._per_chat[key] = limiter
        return limiter
