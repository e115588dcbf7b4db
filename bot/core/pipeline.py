"""The steps every message passes on its way to a handler, middleware in aiogram's
sense: each gets the call and ``proceed`` (the rest of the way) and may act before,
after, or instead of it.

    check_input → identify → numbered_choices → deliver → router
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core import input_checks, owed
from bot.core.events import Incoming, Reply, Surface
from bot.core.i18n import Text
from bot.core.roles import roles_for
from storage import Session, conversations, people
from storage import roles as grants

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.dispatcher import Dispatcher

NO_SUCH_CHOICE = Text("Please answer with a number from 1 to {count}.")


@dataclass
class Call:
    """One message on its way through the pipeline."""

    message: Incoming
    surface: Surface
    session: Session
    """The message's transaction."""
    ctx: Context | None = None
    """Set by :func:`identify`."""

    @property
    def context(self) -> Context:
        assert self.ctx is not None, "identify() runs before the router"
        return self.ctx


Proceed = Callable[[], Awaitable[list[Reply]]]
Middleware = Callable[["Dispatcher", Call, Proceed], Awaitable[list[Reply]]]


async def check_input(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """Empty, unreadable or too long text gets one clear line instead of a handler."""
    text = call.message.text
    if text is None:
        return await proceed()
    issue = input_checks.problem(text, dispatcher.config.bot.max_message_length)
    if issue is None:
        call.message = replace(call.message, text=input_checks.clean(text))
        return await proceed()
    message, values = issue
    person = await people.find_person(call.session, identity=str(call.message.sender))
    lang = dispatcher.language(person.language if person else None, call.message)
    return await deliver(dispatcher, call, replying([Reply(message(lang, **values))]))


async def identify(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """The sender's person, roles, language and running conversation."""
    session, sender = call.session, str(call.message.sender)
    person = await people.get_or_create_person(session, identity=sender)
    granted = await grants.granted(session, identity=sender)
    roles = roles_for(sender, dispatcher.config.roles, granted)
    ctx = dispatcher.context(
        call, person.id, roles, dispatcher.language(person.language, call.message)
    )
    ctx.chosen_language = person.language
    ctx.conversation = await conversations.get_conversation(
        session, chat=str(call.message.chat), person_id=person.id
    )
    call.ctx = ctx
    return await proceed()


async def numbered_choices(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """Where there are no buttons, a number answers the choices shown last; the buttons
    shown now are remembered as numbers."""
    if call.surface.buttons:
        return await proceed()
    ctx, session = call.context, call.session
    chat, person_id = str(call.message.chat), ctx.person_id
    text = call.message.text
    if text is not None and text.isdecimal():
        choices = await conversations.get_choices(session, chat=chat, person_id=person_id)
        if choices:
            number = int(text)
            if not 1 <= number <= len(choices):
                return await deliver(
                    dispatcher, call, replying([ctx.reply(NO_SUCH_CHOICE, count=len(choices))])
                )
            call.message = replace(call.message, text=None, callback=choices[number - 1])
            ctx.message = call.message
    replies = await proceed()
    offered = [button.data for reply in replies for button in reply.flat_buttons]
    await conversations.save_choices(session, chat=chat, person_id=person_id, options=offered)
    return replies


async def deliver(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """Write the replies to the outbox; where the platform cannot push, show everything
    the chat is owed now."""
    replies = await proceed()
    await owed.owe(call.session, call.message.chat, replies)
    if call.surface.push:
        return replies
    return await owed.take(call.session, call.message.chat)


def replying(replies: list[Reply]) -> Proceed:
    """A ``proceed`` that answers with ``replies`` (a reply decided before the router)."""

    async def proceed() -> list[Reply]:
        return replies

    return proceed


PIPELINE: tuple[Middleware, ...] = (check_input, identify, numbered_choices, deliver)
