"""/feedback: a guided conversation (topic, rating, text, contact, confirm) or one message
(contact asked under the receipt); after a 👎, what the answer was missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text
from bot.core.router import Args, Router
from bot.knowledge.text import clear_language, is_question
from handlers.privacy.chat import first_time_notice
from handlers.start.smalltalk import small_talk
from storage import feedback as store

router = Router("feedback")

CONVERSATION = "feedback"
router.choices(CONVERSATION, "topic", "rating", "contact", "confirm")
GENERAL, BOT = "general", "bot"


@dataclass(frozen=True)
class Answer(ButtonData, prefix="fb"):
    """An answer at one step of the feedback conversation."""

    step: str
    value: str


@dataclass(frozen=True)
class Contact(ButtonData, prefix="fbc"):
    """Under a receipt: whether staff may contact the person about feedback ``reference``."""

    allowed: int
    reference: str


TOPIC_NAMES = {
    GENERAL: Text("KL.digital in general"),
    BOT: Text("This bot"),
}
ASK_TOPIC = Text("Thank you for writing to us! What is it about? (/cancel stops at any time)")
ASK_RATING = Text("How satisfied are you, from 1 (not at all) to 5 (very)?")
SKIP = Text("Skip")
ASK_TEXT = Text(
    "What would you like to tell us? Write it in one message ({limit} characters at most)."
)
ASK_CONTACT = Text("May the KL.digital team contact you about it?")
YES, NO = Text("Yes"), Text("No")
SUMMARY = Text(
    "Please check:\nTopic: {topic}\nRating: {rating}\nMay contact you: {contact}\n\n{body}"
)
NO_RATING = Text("none")
SEND, DISCARD = Text("Send"), Text("Discard")
THANKS = Text("Thank you! Your feedback is saved under the reference {reference}.")
DISCARDED = Text("Discarded – nothing was saved.")
TOO_LONG = Text(
    "That is {length} characters; {limit} at most, please. Shorten it and send it "
    "again – nothing has been saved yet."
)
TOO_MANY = Plural(
    "You have sent {count} piece of feedback in the last hour – thank you! You "
    "can write again from {time}.",
    "You have sent {count} pieces of feedback in the last hour – thank you! You "
    "can write again from {time}.",
)
STALE = Text("That feedback is already finished. Send /feedback to start a new one.")
CONTACT_ALLOWED = Text("Noted: the KL.digital team may contact you about {reference}.")
CONTACT_REFUSED = Text("Noted: the KL.digital team will not contact you about {reference}.")
CONTACT_STALE = Text("That feedback is no longer linked to you, so nothing was changed.")
ASK_MISSING = Text(
    "Sorry that the answer did not help. What was missing? Write it in one message – "
    "the team will see which answer it was about."
)
SKIPPED = Text("All right – thank you for your rating all the same.")


async def topic_choices(ctx: Context) -> list[tuple[str, str]]:
    """(label, topic) for every project of the knowledge base, then general and this bot."""
    loaded = await ctx.services.knowledge.current(ctx.session)
    choices = [(p.name.get(ctx.lang), f"project:{p.id}") for p in loaded.kb.projects]
    return [*choices, *((ctx.t(name), topic) for topic, name in TOPIC_NAMES.items())]


async def topic_name(ctx: Context, topic: str) -> str:
    return next((label for label, t in await topic_choices(ctx) if t == topic), topic)


async def limit_reached(ctx: Context) -> Reply | None:
    """The per-person hourly limit, as a reply if it is reached."""
    limit = ctx.config.feedback.max_per_hour
    since = datetime.now(UTC) - timedelta(hours=1)
    sent = await store.count_since(ctx.session, person_id=ctx.person_id, since=since)
    if sent < limit:
        return None
    again = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ctx.zone)
    return ctx.reply(TOO_MANY, count=sent, time=again.strftime("%H:%M"))


def too_long(ctx: Context, text: str) -> Reply | None:
    limit = ctx.config.feedback.max_length
    return ctx.reply(TOO_LONG, length=len(text), limit=limit) if len(text) > limit else None


async def file(
    ctx: Context,
    *,
    topic: str,
    rating: int | None,
    text: str,
    contact: bool | None,
    about_answer: int | None = None,
) -> Reply:
    """Store the feedback (committed with this message) and acknowledge it; with
    ``contact`` not yet known, the receipt asks for it (no contact until they say yes)."""
    row = await store.add_feedback(
        ctx.session,
        person_id=ctx.person_id,
        platform=ctx.message.platform,
        topic=topic,
        rating=rating,
        text=text,
        language=ctx.lang,
        may_contact=bool(contact),
        about_answer=about_answer,
    )
    ctx.services.metrics.feedback.inc()
    if contact is not None:
        return ctx.reply(THANKS, reference=row.reference)
    return ctx.reply(
        ctx.t(THANKS, reference=row.reference) + "\n\n" + ctx.t(ASK_CONTACT),
        buttons=[
            [
                (YES, Contact(1, row.reference).pack()),
                (NO, Contact(0, row.reference).pack()),
            ]
        ],
    )


@router.command(
    "feedback",
    description=Text("send feedback to KL.digital"),
    args=Args.OPTIONAL,
    usage=Text("/feedback Great idea, keep it up!"),
)
async def feedback(ctx: Context) -> Reply | list[Reply]:
    if written := clear_language(ctx.args):  # "/feedback The app crashes …" is English
        await ctx.heard(written)
    if refused := await limit_reached(ctx):
        return refused
    notice = await first_time_notice(ctx)
    if ctx.args:
        if refused := too_long(ctx, ctx.args):
            return refused
        filed = await file(ctx, topic=GENERAL, rating=None, text=ctx.args, contact=None)
        return [*notice, filed]
    await ctx.start_conversation(CONVERSATION, "topic")
    choices = await topic_choices(ctx)
    buttons = [[(label, Answer("topic", t).pack())] for label, t in choices]
    return [*notice, ctx.reply(ASK_TOPIC, buttons=buttons)]


def _rating_buttons(ctx: Context) -> list[list[tuple[Text | str, str]]]:
    stars: list[tuple[Text | str, str]] = [
        (str(n), Answer("rating", str(n)).pack()) for n in range(1, 6)
    ]
    return [stars, [(SKIP, Answer("rating", "skip").pack())]]


@router.callback(Contact, stale=CONTACT_STALE)
async def contact_button(ctx: Context) -> Reply:
    """The answer to "may the team contact you?" under a receipt; it may be changed."""
    pressed = ctx.pressed(Contact)
    allowed = pressed.allowed == 1
    row = await store.set_contact(
        ctx.session, reference=pressed.reference, person_id=ctx.person_id, allowed=allowed
    )
    if row is None:
        return ctx.reply(CONTACT_STALE)
    return ctx.reply(CONTACT_ALLOWED if allowed else CONTACT_REFUSED, reference=row.reference)


async def ask_what_was_missing(ctx: Context, answer_id: int) -> Reply:
    """After a 👎 on answer ``answer_id``: the next message becomes feedback about it."""
    await ctx.start_conversation(CONVERSATION, "missing", answer=answer_id)
    return ctx.reply(ASK_MISSING, buttons=[[(SKIP, Answer("missing", "skip").pack())]])


@router.step(CONVERSATION, "missing")
async def what_was_missing(ctx: Context) -> Reply | list[Reply] | None:
    text = (ctx.message.text or "").strip()
    if is_question(text) or small_talk(text):  # a new question, or thanks: not feedback
        await ctx.end_conversation()
        return None
    if refused := too_long(ctx, text):
        return refused
    assert ctx.conversation is not None
    answer_id = ctx.conversation.data.get("answer")
    await ctx.end_conversation()
    if refused := await limit_reached(ctx):
        return refused
    notice = await first_time_notice(ctx)
    filed = await file(
        ctx,
        topic=BOT,
        rating=None,
        text=text,
        contact=None,
        about_answer=answer_id if isinstance(answer_id, int) else None,
    )
    return [*notice, filed]


@router.callback(Answer, conversation=CONVERSATION, stale=STALE)
async def button(ctx: Context) -> Reply:
    pressed = ctx.pressed(Answer)
    field, value = pressed.step, pressed.value
    if field == "missing":
        await ctx.end_conversation()
        return ctx.reply(SKIPPED)
    if field == "topic":
        await ctx.goto("rating", topic=value)
        return ctx.reply(ASK_RATING, buttons=_rating_buttons(ctx))
    if field == "rating":
        await ctx.goto("text", rating=int(value) if value.isdecimal() else None)
        return ctx.reply(ASK_TEXT, limit=ctx.config.feedback.max_length)
    if field == "contact":
        await ctx.goto("confirm", contact=value == "1")
        return await _summary(ctx)
    if value != "send":
        await ctx.end_conversation()
        return ctx.reply(DISCARDED)
    if refused := await limit_reached(ctx):
        await ctx.end_conversation()
        return refused
    assert ctx.conversation is not None
    data = ctx.conversation.data
    await ctx.end_conversation()
    return await file(
        ctx, topic=data["topic"], rating=data["rating"], text=data["text"], contact=data["contact"]
    )


@router.step(CONVERSATION, "text")
async def text_step(ctx: Context) -> Reply:
    text = (ctx.message.text or "").strip()
    if refused := too_long(ctx, text):
        return refused
    await ctx.goto("contact", text=text)
    return ctx.reply(
        ASK_CONTACT,
        buttons=[[(YES, Answer("contact", "1").pack()), (NO, Answer("contact", "0").pack())]],
    )


async def _summary(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    rating = str(data["rating"]) if data["rating"] else ctx.t(NO_RATING)
    return ctx.reply(
        SUMMARY,
        topic=await topic_name(ctx, data["topic"]),
        rating=rating,
        contact=ctx.t(YES if data["contact"] else NO),
        body=data["text"],
        buttons=[
            [
                (SEND, Answer("confirm", "send").pack()),
                (DISCARD, Answer("confirm", "discard").pack()),
            ]
        ],
    )
