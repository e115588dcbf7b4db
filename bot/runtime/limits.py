"""A sender's rate limits: each platform's overall limit, shared evenly among the workers
that send to it, and each chat's own limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiolimiter import AsyncLimiter

from bot.core.events import Identity

DEFAULT_LIMITS = (30.0, 1.0)
"""Telegram's documented limits: 30 messages a second overall, one a second per chat."""
SAFETY = 0.985
"""Evenly spaced sends a little under the limit: a platform counting in sliding windows
never sees a burst above it, and 98.5 % of it is still used."""
CHAT_BURST = 3
"""A chat may get a few messages at once, as long as the average stays within its rate."""
GROUP_PER_MINUTE = 20
"""Telegram's limit for messages to one group."""
MAX_CHAT_LIMITERS = 10_000
"""Per-chat limiters kept at most (memory stays flat during a broadcast to 100,000)."""
BATCH_SECONDS = 10.0
"""A sender takes about this many seconds of sending into one batch."""


class Limits:
    """Rate limiters for the platforms one sender serves."""

    def __init__(
        self, platforms: Iterable[str], rates: Mapping[str, tuple[float, float]] | None = None
    ) -> None:
        """``rates`` maps a platform to (messages per second overall, per chat)."""
        rates = rates or {}
        self._rates = {p: rates.get(p, DEFAULT_LIMITS) for p in platforms}
        self._workers = dict.fromkeys(self._rates, 1)
        self._overall = {p: self._spaced(p) for p in self._rates}
        self._per_chat: dict[str, AsyncLimiter] = {}

    def _spaced(self, platform: str) -> AsyncLimiter:
        return AsyncLimiter(1, self._workers[platform] / (SAFETY * self._rates[platform][0]))

    def share(self, platform: str, workers: int) -> None:
        """``workers`` senders (this one included) now share ``platform``'s limit."""
        workers = max(1, workers)
        if platform in self._rates and self._workers[platform] != workers:
            self._workers[platform] = workers
            self._overall[platform] = self._spaced(platform)

    def rate(self, platform: str) -> float:
        """This sender's part of ``platform``'s overall limit, in messages a second."""
        return SAFETY * self._rates[platform][0] / self._workers[platform]

    def batch_size(self, platforms: Iterable[str]) -> int:
        """How many messages to take at once: about ``BATCH_SECONDS`` of sending."""
        per_second = sum(self.rate(p) for p in platforms)
        return max(1, min(100, int(per_second * BATCH_SECONDS)))

    def overall(self, platform: str) -> AsyncLimiter:
        return self._overall[platform]

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
                rate = self._rates[chat.platform][1]
                limiter = AsyncLimiter(CHAT_BURST * rate, CHAT_BURST)
            self._per_chat[key] = limiter
        return limiter
