"""Platform adapters: each translates one platform to neutral events and back.

Platform errors become the few typed outcomes below, so delivery and handlers
never see a Telegram or Matrix exception.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from bot.core.events import Identity, Incoming, Reply, Surface

MessageHandler = Callable[[Incoming, Surface], Awaitable[list[Reply]]]
"""How the console hands a message to the dispatcher and gets the replies back."""


class UpdateHandler(Protocol):
    """What a push platform's adapter hands its updates to (the app's inbound side)."""

    async def __call__(
        self, message: Incoming, surface: Surface, update_key: str | None = None
    ) -> list[Reply]:
        """Handle a message (once per ``update_key``); its replies go to the outbox. Returns
        what to show now where the platform cannot push (the console), else the replies."""

    async def gone(self, chat: Identity) -> None:
        """The bot was blocked or removed from ``chat``: stop sending there."""


class KeyValueStore(Protocol):
    """What an adapter keeps across restarts: an offset, a sync token, button data too
    long for the platform. Every klbot process on one database shares it."""

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, if any."""

    async def put(self, values: Mapping[str, str]) -> None:
        """Store ``values`` together (all or none)."""

    async def shorten(self, data: str) -> int:
        """Keep ``data``; returns the number that stands for it."""

    async def expand(self, token: int) -> str | None:
        """The data ``token`` stands for, if it is kept."""


class SendError(Exception):
    """A reply could not be sent."""


class RateLimited(SendError):
    """The platform asks us to wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate-limited, retry after {retry_after:g} s")
        self.retry_after = retry_after


class RecipientGone(SendError):
    """The person blocked the bot or left the chat: stop sending there."""


class TransientError(SendError):
    """Network trouble or a server error: trying again later may work."""


class PermanentError(SendError):
    """The platform refused this message for good."""


class PaidRefused(SendError):
    """A paid broadcast was refused: the account cannot pay (its Stars ran out)."""


class Adapter(Protocol):
    """The small protocol every platform adapter implements."""

    platform: str
    surface: Surface
    idempotent: bool
    """Sending twice with the same key shows one message (Matrix transaction ids)."""
    connected: bool
    """Whether the platform answered the adapter's last request (for ``/healthz``)."""
    ready: bool
    """Whether the adapter can send yet (Matrix: once the first sync told it its rooms)."""

    async def start(self, handle: UpdateHandler) -> None:
        """Connect and begin passing incoming messages to ``handle``."""

    async def stop(self) -> None:
        """Disconnect cleanly."""

    async def send(
        self,
        chat: Identity,
        reply: Reply,
        key: str,
        *,
        paid: bool = False,
        edits: str | None = None,
    ) -> str | None:
        """Show ``reply`` in ``chat``; returns the platform's id of the (last) message sent.

        Raises a :class:`SendError` subclass on failure.

        ``key`` is stable for one outbox message across retries: platforms that support
        it (Matrix transaction ids) use it so a retried send never appears twice.
        ``paid``: a paid broadcast (Telegram Stars), above the free limit. ``edits``: the
        platform's id of a message sent before whose text ``reply`` replaces."""
