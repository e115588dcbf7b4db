"""The steps every message passes on its way to a handler, middleware in aiogram's
sense: each gets the call and ``proceed`` (the rest of the way) and may act before,
after, or instead of it.

    deliver → check_input → identify → typed_choices → router

``deliver`` comes first: it writes every reply to the outbox, also those of a step that
answers instead of the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core import input_checks, owed
from bot.core.choices import Choice, chosen, words
from bot.core.events import Incoming, Reply, Surface
from bot.core.i18n import Text
from bot.core.roles import roles_for
from bot.knowledge.text import clear_language, is_question
from storage import Session, conversations, people
from storage import roles as grants
from storage.conversations import ConversationState, Offered

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.dispatcher import Dispatcher

NO_SUCH_CHOICE = Text("Please answer with a number from 1 to {count}.")
CHOOSE_AGAIN = Text(
    "I did not get that. Please choose one of these – a number or the words are fine – or"
    " send /cancel:"
)
BACK_TO = Text("Back to /{command}:")
LEFT_COMMAND = Text("I have stopped /{command} here; send /{command} to start again.")
LEFT = Text("I have stopped what we were doing here.")
MOST_MISSES = 3
"""Texts in a row a step may not take before its conversation ends."""


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
    return [Reply(message(dispatcher.language(person, call.message), **values))]


async def identify(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """The sender's person, roles, language and running conversation; the language of a
    message whose language is clear is remembered for what comes next."""
    session, sender = call.session, str(call.message.sender)
    person = await people.get_or_create_person(session, identity=sender)
    conversation = await conversations.get_conversation(
        session, chat=str(call.message.chat), person_id=person.id
    )
    if conversation is not None:  # stored before a step was renamed
        renamed = dispatcher.renamed_steps.get((conversation.name, conversation.step))
        conversation.step = renamed or conversation.step
    spoken = _language_written(call.message.text) if conversation is None else None
    if spoken is not None and spoken != person.spoken_language:  # within one: content
        await people.set_spoken_language(session, person_id=person.id, language=spoken)
    granted = await grants.granted(session, identity=sender)
    roles = roles_for(sender, dispatcher.config.roles, granted)
    ctx = dispatcher.context(call, person.id, roles, dispatcher.language(person, call.message))
    ctx.chosen_language, ctx.conversation = person.language, conversation
    call.ctx = ctx
    return await proceed()


async def typed_choices(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """A typed answer to the buttons shown last is a press (its number, its label, a
    synonym: :mod:`bot.core.choices`); the buttons shown now are remembered, and a reply
    without buttons leaves those before in place.

    In a conversation, text that does not fit the step is a miss. Where the step takes
    only a choice (``Router.choices``), a miss asks again, after answering it if it was a
    question; the second miss (the third, if it is a question) leaves the conversation
    and is handled like any message. A step that takes text leaves after three misses.
    """
    ctx, session = call.context, call.session
    chat, person_id = str(call.message.chat), ctx.person_id
    offered = await conversations.get_choices(session, chat=chat, person_id=person_id)
    flow = ctx.conversation
    at = _step(flow)
    text = call.message.text if call.message.text and call.message.text[0] != "/" else None
    if text is not None and offered is not None:
        choice = chosen(text, _choices(dispatcher, offered))
        if choice is not None:
            call.message = ctx.message = replace(call.message, text=None, callback=choice.data)
            text = None
    if text is not None and flow is not None:
        if words(text) == {"cancel"}:
            call.message = ctx.message = replace(call.message, text="/cancel")
            text = None
        elif offered and at in dispatcher.choice_steps:
            return await _off_the_choices(dispatcher, call, proceed, offered, text)
    elif text is not None and offered is not None and text.isdecimal():
        return [ctx.reply(NO_SUCH_CHOICE, count=len(offered.buttons))]
    replies = await proceed()
    if text is not None and flow is not None and _step(ctx.conversation) == at:
        replies = await _missed(call, replies)
    pressed = call.message.callback is not None
    await _remember(call, replies, keep=not pressed and _step(ctx.conversation) == at)
    return replies


def _choices(dispatcher: Dispatcher, offered: Offered) -> list[Choice]:
    return [
        Choice(label, data, confirms=dispatcher.button_kind(data).confirms)
        for label, data in offered.buttons
    ]


async def _off_the_choices(
    dispatcher: Dispatcher, call: Call, proceed: Proceed, offered: Offered, text: str
) -> list[Reply]:
    """Text where a conversation waits for a choice: asked again, a question answered
    first; the second miss (a question: the third) ends the conversation, and the text is
    handled like any other."""
    ctx = call.context
    flow = ctx.conversation
    assert flow is not None
    question = is_question(text)
    flow.misses += 1
    if flow.misses >= (MOST_MISSES if question else 2):
        return await _leave(call, proceed, flow)
    await conversations.save_conversation(
        call.session, chat=ctx.chat, person_id=ctx.person_id, state=flow
    )
    buttons = [[(label, data)] for label, data in offered.buttons]
    if not question:
        again = (
            ctx.t(NO_SUCH_CHOICE, count=len(buttons)) if text.isdecimal() else ctx.t(CHOOSE_AGAIN)
        )
        return [ctx.reply(f"{again}\n\n{offered.prompt}", buttons=buttons)]
    ctx.conversation = None  # answer the question as if no conversation were running
    try:
        answered = await proceed()
    finally:
        ctx.conversation = flow
    essential = [
        button
        for reply in answered
        for button in reply.flat_buttons
        if not dispatcher.button_kind(button.data).optional
    ]
    if essential:  # the answer is itself a choice ("did you mean …"): offer that one
        await ctx.end_conversation()
        await _remember(call, answered, keep=False)
        return [_left(ctx, flow), *answered]
    back = BACK_TO(ctx.lang, command=flow.started_by) if flow.started_by else ""
    reoffer = ctx.reply(f"{back}\n\n{offered.prompt}".strip(), buttons=buttons)
    return [*(Reply(reply.text, secret=reply.secret) for reply in answered), reoffer]


async def _leave(call: Call, proceed: Proceed, flow: ConversationState) -> list[Reply]:
    """End the conversation and handle the message like any other."""
    ctx = call.context
    await ctx.end_conversation()
    replies = await proceed()
    await _remember(call, replies, keep=False)
    return [_left(ctx, flow), *replies]


async def _missed(call: Call, replies: list[Reply]) -> list[Reply]:
    """Count a text the conversation's step did not take; the third in a row leaves it."""
    ctx = call.context
    flow = ctx.conversation
    assert flow is not None
    flow.misses += 1
    if flow.misses < MOST_MISSES:
        await conversations.save_conversation(
            call.session, chat=ctx.chat, person_id=ctx.person_id, state=flow
        )
        return replies
    await ctx.end_conversation()
    return [_left(ctx, flow)]


async def _remember(call: Call, replies: list[Reply], *, keep: bool) -> None:
    """Store the buttons of the last reply that has some (the numbers shown last); with
    none shown, ``keep`` holds on to those before."""
    last = next((reply for reply in reversed(replies) if reply.flat_buttons), None)
    if last is None and keep:
        return
    buttons = [(b.label, b.data) for b in last.flat_buttons] if last else []
    await conversations.save_choices(
        call.session,
        chat=str(call.message.chat),
        person_id=call.context.person_id,
        offered=Offered(last.text if last else "", buttons),
    )


def _step(state: ConversationState | None) -> tuple[str, str] | None:
    return (state.name, state.step) if state is not None else None


def _left(ctx: Context, flow: ConversationState) -> Reply:
    if flow.started_by:
        return ctx.reply(LEFT_COMMAND, command=flow.started_by)
    return ctx.reply(LEFT)


async def deliver(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """Write the replies to the outbox; where the platform cannot push, show everything
    the chat is owed now."""
    replies = await proceed()
    await owed.owe(call.session, call.message.chat, replies)
    if call.surface.push:
        return replies
    return await owed.take(call.session, call.message.chat)


def _language_written(text: str | None) -> str | None:
    """The language of a message in a person's own words (not a command: its arguments
    are often names, codes or text for others), when the words leave no doubt."""
    return clear_language(text) if text and not text.startswith("/") else None


def replying(replies: list[Reply]) -> Proceed:
    """A ``proceed`` that answers with ``replies`` (a reply decided before the router)."""

    async def proceed() -> list[Reply]:
        return replies

    return proceed


PIPELINE: tuple[Middleware, ...] = (deliver, check_input, identify, typed_choices)
