"""Routers collect a feature's handlers; the dispatcher combines an explicit list of them.

A handler is ``async def handler(ctx: Context) -> Reply | list[Reply] | None``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.roles import Role

if TYPE_CHECKING:
    from bot.core.context import Context

HandlerResult = Reply | list[Reply] | None
Handler = Callable[["Context"], Awaitable[HandlerResult]]

COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.DOTALL)


class Args(Enum):
    """What a command accepts after its name."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    args: str
    addressee: str | None


def parse_command(text: str) -> ParsedCommand | None:
    """Split ``/cmd@botname args`` into its parts; ``None`` if it is not a command."""
    match = COMMAND_RE.match(text.strip())
    if match is None:
        return None
    name, addressee, args = match.groups()
    return ParsedCommand(name.lower(), (args or "").strip(), addressee)


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command with the text ``/help`` shows for it."""

    name: str
    handler: Handler
    description: Text
    roles: frozenset[Role]
    args: Args
    usage: Text | None

    def allowed(self, roles: Iterable[Role]) -> bool:
        return not self.roles or bool(self.roles & set(roles))


class Router:
    """The handlers of one feature, registered with decorators."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.callbacks: dict[str, Handler] = {}
        self.steps: dict[tuple[str, str], Handler] = {}
        self.text_handlers: list[Handler] = []
        self.unknown_command_handler: Handler | None = None

    def command(
        self,
        name: str,
        *,
        description: Text,
        roles: Iterable[Role] = (),
        args: Args = Args.NONE,
        usage: Text | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register ``/name``; ``roles`` empty means everyone may use it."""

        def register(handler: Handler) -> Handler:
            self.commands.append(Command(name, handler, description, frozenset(roles), args, usage))
            return handler

        return register

    def callback(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register a button handler for data ``prefix`` or ``prefix:…``."""

        def register(handler: Handler) -> Handler:
            self.callbacks[prefix] = handler
            return handler

        return register

    def step(self, conversation: str, step: str) -> Callable[[Handler], Handler]:
        """Register the handler for text sent at ``step`` of ``conversation``."""

        def register(handler: Handler) -> Handler:
            self.steps[(conversation, step)] = handler
            return handler

        return register

    def text(self) -> Callable[[Handler], Handler]:
        """Register a free-text handler; it returns ``None`` to let the next one try."""

        def register(handler: Handler) -> Handler:
            self.text_handlers.append(handler)
            return handler

        return register

    def unknown_command(self) -> Callable[[Handler], Handler]:
        """Register the handler for commands nobody else knows."""

        def register(handler: Handler) -> Handler:
            self.unknown_command_handler = handler
            return handler

        return register
