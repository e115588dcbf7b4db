"""The steps every message passes on its way to a handler, middleware in aiogram's
sense: each gets the call and ``proceed`` (the rest of the way) and may act before,
after, or instead of it.

    deliver → check_input → identify → typed_choices → router

``deliver`` comes first: it writes every reply to the outbox, also those of a step that
answers instead of the router.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core import input_checks, owed
from bot.core.choices import Choice, chosen, words
from bot.core.events import Incoming, Reply, Surface
from bot.core.i18n import Text
from bot.core.roles import roles_for
from bot.knowledge.text import guess_language
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
QUESTION_WORDS = frozenset(
    {
        *("wer", "was", "wie", "wo", "wann", "warum", "wieso", "welche", "welcher", "gibt"),
        *("who", "what", "how", "where", "when", "why", "which", "is", "are", "can", "does"),
    }
)
WORD = re.compile(r"\w+")


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
    if spoken is not None and spoken != person.spoken_language:
        person.spoken_language = spoken  # not within a conversation: that text is content
    granted = await grants.granted(session, identity=sender)
    roles = roles_for(sender, dispatcher.config.roles, granted)
    ctx = dispatcher.context(call, person.id, roles, dispatcher.language(person, call.message))
    ctx.chosen_language, ctx.conversation = person.language, conversation
    call.ctx = ctx
    return await proceed()


async def typed_choices(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """A typed answer to the buttons shown last is a press (its number, its label, a
    synonym: :mod:`bot.core.choices`); the buttons shown now are remembered.

    In a conversation, text that does not fit the step is a miss. Where the step takes
    only a choice (``Router.choices``), the first miss asks again (after answering it, if
    it was a question) and the second leaves the conversation and is handled like any
    message; a step that takes text leaves after its third miss in a row.
    """
    ctx, session = call.context, call.session
    chat, person_id = str(call.message.chat), ctx.person_id
    offered = await conversations.get_choices(session, chat=chat, person_id=person_id)
    flow = ctx.conversation
    at = _step(flow)
    text = call.message.text if call.message.text and call.message.text[0] != "/" else None
    if text is not None and offered is not None:
        choice = chosen(text, [Choice(label, data) for label, data in offered.buttons])
        if choice is not None:
            call.message = ctx.message = replace(call.message, text=None, callback=choice.data)
            text = None
    if text is not None and flow is not None:
        if words(text) == {"cancel"}:
            call.message = ctx.message = replace(call.message, text="/cancel")
            text = None
        elif offered and at in dispatcher.choice_steps:
            return await _off_the_choices(call, proceed, offered, text)
    elif text is not None and offered is not None and text.isdecimal():
        return [ctx.reply(NO_SUCH_CHOICE, count=len(offered.buttons))]
    replies = await proceed()
    if text is not None and flow is not None and _step(ctx.conversation) == at:
        replies = await _missed(call, replies)
    await _remember(call, replies, keep=at is not None and _step(ctx.conversation) == at)
    return replies


async def _off_the_choices(
    call: Call, proceed: Proceed, offered: Offered, text: str
) -> list[Reply]:
    """Text where a conversation waits for a choice: asked again once, a question answered
    first; the second time the conversation ends and the text is handled like any other."""
    ctx = call.context
    flow = ctx.conversation
    assert flow is not None
    if flow.misses >= 1:
        await ctx.end_conversation()
        replies = await proceed()
        await _remember(call, replies, keep=False)
        return [_left(ctx, flow), *replies]
    flow.misses += 1
    await conversations.save_conversation(
        call.session, chat=ctx.chat, person_id=ctx.person_id, state=flow
    )
    buttons = [[(label, data)] for label, data in offered.buttons]
    if text.isdecimal():
        again = ctx.t(NO_SUCH_CHOICE, count=len(offered.buttons))
        return [ctx.reply(f"{again}\n\n{offered.prompt}", buttons=buttons)]
    if not looks_like_a_question(text):
        return [ctx.reply(f"{ctx.t(CHOOSE_AGAIN)}\n\n{offered.prompt}", buttons=buttons)]
    ctx.conversation = None  # answer the question as if no conversation were running
    try:
        answered = [Reply(reply.text) for reply in await proceed()]
    finally:
        ctx.conversation = flow
    back = BACK_TO(ctx.lang, command=flow.started_by) if flow.started_by else ""
    return [*answered, ctx.reply(f"{back}\n\n{offered.prompt}".strip(), buttons=buttons)]


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
    """Store the buttons shown now; with none shown, ``keep`` holds on to those before."""
    buttons = [(b.label, b.data) for reply in replies for b in reply.flat_buttons]
    if not buttons and keep:
        return
    prompt = next((reply.text for reply in replies if reply.flat_buttons), "")
    await conversations.save_choices(
        call.session,
        chat=str(call.message.chat),
        person_id=call.context.person_id,
        offered=Offered(prompt, buttons),
    )


def _step(state: ConversationState | None) -> tuple[str, str] | None:
    return (state.name, state.step) if state is not None else None


def _left(ctx: Context, flow: ConversationState) -> Reply:
    if flow.started_by:
        return ctx.reply(LEFT_COMMAND, command=flow.started_by)
    return ctx.reply(LEFT)


def looks_like_a_question(text: str) -> bool:
    """A question mark, a question word first, or enough words to say something."""
    found = WORD.findall(text.casefold())
    return "?" in text or len(found) >= 3 or bool(found and found[0] in QUESTION_WORDS)


async def deliver(dispatcher: Dispatcher, call: Call, proceed: Proceed) -> list[Reply]:
    """Write the replies to the outbox; where the platform cannot push, show everything
    the chat is owed now."""
    replies = await proceed()
    await owed.owe(call.session, call.message.chat, replies)
    if call.surface.push:
        return replies
    return await owed.take(call.session, call.message.chat)


def _language_written(text: str | None) -> str | None:
    """The language of a message written in a person's own words (not a command); ``None``
    when unclear, as it is for single words ("ok", "fr")."""
    if not text or text.startswith("/") or len(text.split()) < 2:
        return None
    return guess_language(text)


def replying(replies: list[Reply]) -> Proceed:
    """A ``proceed`` that answers with ``replies`` (a reply decided before the router)."""

    async def proceed() -> list[Reply]:
        return replies

    return proceed


PIPELINE: tuple[Middleware, ...] = (deliver, check_input, identify, typed_choices)
