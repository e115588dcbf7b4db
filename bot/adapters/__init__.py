"""Platform adapters: each translates one platform to neutral events and back.

Platform errors become the few typed outcomes below, so delivery and handlers
never see a Telegram or Matrix exception.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.dispatcher import Surface
from bot.events import Identity, Incoming, Reply

MessageHandler = Callable[[Incoming, Surface], Awaitable[list[Reply]]]


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


class Adapter(Protocol):
    """The small protocol every platform adapter implements."""

    platform: str
    surface: Surface

    async def start(self, handle: MessageHandler) -> None:
        """Connect and begin passing incoming messages to ``handle``."""

    async def stop(self) -> None:
        """Disconnect cleanly."""

    async def send(self, chat: Identity, reply: Reply) -> None:
        """Show ``reply`` in ``chat``; raises a :class:`SendError` subclass on failure."""
