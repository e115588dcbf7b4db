"""Routers collect a feature's handlers; the dispatcher combines an explicit list of them.

A handler is ``async def handler(ctx: Context) -> Reply | list[Reply] | None``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.core.buttons import ButtonData
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.roles import Role

if TYPE_CHECKING:
    from bot.core.context import Context
    from storage.conversations import ConversationState

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


@dataclass(frozen=True, slots=True)
class Callback:
    """A button handler and the filters the press must pass."""

    kind: type[ButtonData]
    handler: Handler
    roles: frozenset[Role]
    conversation: str | None
    """Only pressed inside this conversation; a ``step`` field of the data (or ``step``)
    must be the conversation's current step."""
    step: str | None
    stale: Text | None
    """The reply when the press does not pass (default: "that choice is no longer
    available")."""

    def accepts(
        self, button: ButtonData, roles: frozenset[Role], state: ConversationState | None
    ) -> bool:
        """Whether a press of ``button`` by someone with ``roles``, in conversation
        ``state``, reaches the handler."""
        if self.roles and not self.roles & roles:
            return False
        if self.conversation is None:
            return True
        step = self.step or getattr(button, "step", None)
        in_conversation = state is not None and state.name == self.conversation
        return in_conversation and (step is None or (state is not None and state.step == step))


@dataclass(frozen=True, slots=True)
class Step:
    """The handler of text sent at one step of a conversation."""

    handler: Handler
    roles: frozenset[Role]


class Router:
    """The handlers of one feature, registered with decorators."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.callbacks: list[Callback] = []
        self.steps: dict[tuple[str, str], Step] = {}
        self.choice_steps: set[tuple[str, str]] = set()
        self.renamed_steps: dict[tuple[str, str], str] = {}
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

    def callback(
        self,
        kind: type[ButtonData],
        *,
        roles: Iterable[Role] = (),
        conversation: str | None = None,
        step: str | None = None,
        stale: Text | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register the handler of buttons carrying ``kind`` (``ctx.pressed(kind)``).

        A press by someone without one of ``roles``, or outside ``conversation`` and its
        step, gets ``stale`` instead and reaches no handler.
        """

        def register(handler: Handler) -> Handler:
            callback = Callback(kind, handler, frozenset(roles), conversation, step, stale)
            self.callbacks.append(callback)
            return handler

        return register

    def step(
        self, conversation: str, step: str, *, roles: Iterable[Role] = ()
    ) -> Callable[[Handler], Handler]:
        """Register the handler for text sent at ``step`` of ``conversation``; someone who
        lost every one of ``roles`` meanwhile is taken out of the conversation. A handler
        that returns ``None`` leaves the text to the free-text handlers."""

        def register(handler: Handler) -> Handler:
            self.steps[(conversation, step)] = Step(handler, frozenset(roles))
            return handler

        return register

    def renamed(self, conversation: str, old: str, new: str) -> None:
        """A step of ``conversation`` once called ``old`` is now ``new``: conversations
        stored at ``old`` go on at ``new``."""
        self.renamed_steps[(conversation, old)] = new

    def choices(self, conversation: str, *steps: str) -> None:
        """Declare ``steps`` of ``conversation`` that only buttons answer (pressed, or typed
        as their number or label); other text there is asked again once, and the second
        time ends the conversation (``bot/core/pipeline.py``)."""
        self.choice_steps.update((conversation, step) for step in steps)

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
