"""Turns one incoming message into replies: the pipeline's steps (``pipeline.py``), then
the handler the routers registered for it.

Each message is handled in one database transaction, its replies written to the outbox
in it: if a handler fails, nothing it wrote is kept and the person gets an apology
instead of silence.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Incoming, Reply, Surface
from bot.core.i18n import Text, language_from_hint
from bot.core.pipeline import PIPELINE, Call, Middleware, deliver, replying
from bot.core.roles import Role
from bot.core.router import (
    Args,
    Callback,
    Command,
    Handler,
    HandlerResult,
    Router,
    Step,
    parse_command,
)
from bot.runtime.config import Config
from bot.runtime.services import Services
from storage import people, platform
from storage.models import Person

log = logging.getLogger(__name__)

FAILED = Text(
    "Sorry, something went wrong on my side; nothing was saved. Please try again shortly."
)
NOT_ALLOWED = Text("/{command} is only available to {roles}.")
ROLE_NAMES = {
    "staff": Text("staff members"),
    "board": Text("board members"),
    "admin": Text("administrators"),
}
NO_ARGS = Text("/{command} takes nothing after it. Just send /{command}.")
NEEDS_ARGS = Text("/{command} needs something after it, for example: {usage}")
STALE_BUTTON = Text("That choice is no longer available. Send /help for an overview.")
LOST_ROLE = Text("You do not have the role this needs; I have ended it.")


class Dispatcher:
    """Routes messages to the handlers of an explicit list of routers."""

    def __init__(
        self,
        routers: Sequence[Router],
        sessions: async_sessionmaker[AsyncSession],
        config: Config,
        services: Services,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.services = services
        self.commands: dict[str, Command] = {}
        self.callbacks: dict[str, Callback] = {}
        self.steps: dict[tuple[str, str], Step] = {}
        self.choice_steps: set[tuple[str, str]] = set()
        self.renamed_steps: dict[tuple[str, str], str] = {}
        self.text_handlers: list[Handler] = []
        self.unknown_command: Handler | None = None
        for router in routers:
            self._include(router)

    def _include(self, router: Router) -> None:
        for command in router.commands:
            if command.name in self.commands:
                raise ValueError(f"/{command.name} registered twice (router {router.name})")
            self.commands[command.name] = command
        for callback in router.callbacks:
            prefix = callback.kind.prefix
            if prefix in self.callbacks:
                raise ValueError(f"button {prefix!r} registered twice (router {router.name})")
            self.callbacks[prefix] = callback
        self.steps.update(router.steps)
        self.choice_steps.update(router.choice_steps)
        self.renamed_steps.update(router.renamed_steps)
        self.text_handlers.extend(router.text_handlers)
        self.unknown_command = self.unknown_command or router.unknown_command_handler

    async def handle(
        self, message: Incoming, surface: Surface, *, update_key: str | None = None
    ) -> list[Reply]:
        """Handle one message in one transaction; returns the replies it owes the chat.

        The replies are written to the outbox in that transaction (the sender delivers
        them); where the platform cannot push (the console) they are taken back out at
        once, after whatever else the chat is owed. ``update_key`` names the platform
        update: a second delivery of it (after a crash) does nothing. A handler that fails
        stores nothing and the person gets an apology.
        """
        try:
            async with self.sessions() as session, session.begin():
                if update_key and not await platform.mark_processed(session, key=update_key):
                    return []
                return await self._run(Call(message, surface, session), PIPELINE)
        except Exception:
            log.exception("handling a message from %s failed", message.platform)
        apology = [Reply(FAILED(await self._language_of(message)))]
        try:
            async with self.sessions() as session, session.begin():
                return await deliver(self, Call(message, surface, session), replying(apology))
        except Exception:
            log.exception("the apology to %s could not be written", message.platform)
            return apology

    async def _run(self, call: Call, steps: Sequence[Middleware]) -> list[Reply]:
        """Run ``steps`` in order around the router, each handing on to the next."""
        if not steps:
            return await self._route(call)
        first, rest = steps[0], steps[1:]
        return await first(self, call, lambda: self._run(call, rest))

    def language(self, person: Person | None, message: Incoming) -> str:
        """The language to answer in: the person's choice, else the language they last
        wrote in, else the platform's hint, else the configured default."""
        hinted = language_from_hint(message.language) or self.config.bot.default_language
        return person.language_or(hinted) if person is not None else hinted

    async def _language_of(self, message: Incoming) -> str:
        """:meth:`language`, looked up outside the failed transaction (hint or default when
        the database is out of reach too)."""
        try:
            async with self.sessions() as session:
                person = await people.find_person(session, identity=str(message.sender))
        except Exception:
            person = None
        return self.language(person, message)

    def context(self, call: Call, person_id: int, roles: frozenset[Role], lang: str) -> Context:
        return Context(
            message=call.message,
            person_id=person_id,
            roles=roles,
            lang=lang,
            session=call.session,
            config=self.config,
            services=self.services,
            commands=[c for c in self.commands.values() if c.allowed(roles)],
        )

    async def _route(self, call: Call) -> list[Reply]:
        replies = _as_list(await self._handler_result(call.context, call.surface))
        self.services.metrics.updates.labels(call.message.platform).inc()
        return replies

    async def _handler_result(self, ctx: Context, surface: Surface) -> HandlerResult:
        message = ctx.message
        if message.callback is not None:
            return await self._press(ctx, message.callback)
        text = message.text or ""
        parsed = parse_command(text) if text.startswith("/") else None
        if parsed is not None:
            addressee, username = parsed.addressee, surface.username
            if addressee and username and addressee.lower() != username.lower():
                return None  # a command for another bot in the same group
            return await self._run_command(ctx, parsed.name, parsed.args)
        if ctx.conversation is not None:
            step = self.steps.get((ctx.conversation.name, ctx.conversation.step))
            if step is not None and step.roles and not step.roles & ctx.roles:
                await ctx.end_conversation()
                return ctx.reply(LOST_ROLE)
            if step is not None and (result := await step.handler(ctx)) is not None:
                return result
            if step is None:
                log.warning("dropping conversation %s at unknown step", ctx.conversation.name)
                await ctx.end_conversation()
        for handler in self.text_handlers:
            result = await handler(ctx)
            if result is not None:
                return result
        return None

    def button_kind(self, data: str) -> type[ButtonData]:
        """The kind of button ``data`` belongs to (the base kind for data nobody knows)."""
        callback = self.callbacks.get(data.partition(":")[0])
        return callback.kind if callback is not None else ButtonData

    async def _press(self, ctx: Context, data: str) -> HandlerResult:
        """A button: its handler, if the press passes the filters it was registered with."""
        callback = self.callbacks.get(data.partition(":")[0])
        if callback is None:
            return ctx.reply(STALE_BUTTON)
        button = callback.kind.unpack(data)
        if button is None or not callback.accepts(button, ctx.roles, ctx.conversation):
            return ctx.reply(callback.stale or STALE_BUTTON)
        ctx.button = button
        return await callback.handler(ctx)

    async def _run_command(self, ctx: Context, name: str, args: str) -> HandlerResult:
        command = self.commands.get(name)
        ctx.command, ctx.args = name, args
        if command is None:
            return await self.unknown_command(ctx) if self.unknown_command else None
        if not command.allowed(ctx.roles):
            who = " / ".join(ctx.t(ROLE_NAMES[role]) for role in sorted(command.roles))
            return ctx.reply(NOT_ALLOWED, command=name, roles=who)
        if command.args is Args.NONE and args:
            return ctx.reply(NO_ARGS, command=name)
        if command.args is Args.REQUIRED and not args:
            usage = ctx.t(command.usage) if command.usage else f"/{name} …"
            return ctx.reply(NEEDS_ARGS, command=name, usage=usage)
        return await command.handler(ctx)


def _as_list(result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]
