"""/announce for staff: audience, German and English text, a preview, then out it goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text
from bot.core.roles import Role
from bot.core.router import Router
from bot.runtime.config import Config
from handlers.announcements import broadcast, timing
from handlers.subscriptions.chat import topics as subscription_topics
from handlers.subscriptions.topics import known as subscription_known
from storage import Session
from storage import announcements as store
from storage import roles as grants
from storage.models import Announcement

router = Router("announcements")

CONVERSATION = "announce"
router.choices(CONVERSATION, "confirm")
router.renamed(CONVERSATION, "cron", "rule")  # the step took only cron text once
STAFF = [Role.STAFF]


@dataclass(frozen=True)
class Choice(ButtonData, prefix="ann"):
    """A choice at one step of writing an announcement."""

    step: str
    value: str


AUDIENCES = {
    "all": Text("All subscribers"),
    "board": Text("Board"),
    "staff": Text("Staff"),
}
SUBSCRIBERS_OF = Text("Subscribers: {topic}")
ASK_AUDIENCE = Text("Who is the announcement for?")
ASK_GERMAN = Text("The text in German:")
ASK_ENGLISH = Text("And in English (for recipients who chose English)?")
NO_ENGLISH = Text("No English text")
PREVIEW = Plural(
    "Preview – this is what {count} recipient gets ({audience}):",
    "Preview – this is what {count} recipients get ({audience}):",
)
SEND_NOW, DISCARD = Text("Send now"), Text("Discard")
LATER, REPEAT = Text("Send later"), Text("Repeat")
ASK_WHEN = Text(
    "When should it go out? For example “tomorrow 9am”, “Friday 14:30” or “{date} 10:00”."
)
ASK_RULE = Text(
    "How often? For example “every Monday at 9”, “every weekday at 8”, “every day at "
    "7:30” or “monthly on the 1st” (cron fields work too, e.g. “0 9 * * mon”)."
)
PLANNED = Text(
    "Announcement #{id} is planned: {when}. /scheduled shows it, /unschedule {id} cancels it."
)
QUEUED = Plural(
    "Announcement #{id} is going to {count} recipient. You will get a report once it is delivered.",
    "Announcement #{id} is going to {count} recipients. "
    "You will get a report once it is delivered.",
)
UNKNOWN_TOPIC = Text("There is no topic “{topic}”. The topics are: {topics}.")
ASK_AUDIENCE_AGAIN = Text(
    "Please choose who the announcement is for, or type all, board, staff or topic:NAME."
)
DISCARDED = Text("Discarded.")
STALE = Text("That announcement is already done.")
AWAITING = Text("Announcement #{id} to everyone awaits approval by a second person: /approve {id}")


async def audience_choices(ctx: Context) -> list[tuple[str, str]]:
    """Everyone subscribed, the subscribers of each topic, the board, the staff."""
    topics = [
        (f"topic:{topic}", ctx.t(SUBSCRIBERS_OF, topic=name))
        for topic, name in await subscription_topics(ctx)
        if topic != "all"
    ]
    others = [(key, ctx.t(name)) for key, name in AUDIENCES.items() if key != "all"]
    return [("all", ctx.t(AUDIENCES["all"])), *topics, *others]


@router.command("announce", description=Text("send an announcement"), roles=STAFF)
async def announce(ctx: Context) -> Reply:
    await ctx.start_conversation(CONVERSATION, "audience")
    return await _ask_audience(ctx, ctx.t(ASK_AUDIENCE))


async def _ask_audience(ctx: Context, prompt: str) -> Reply:
    choices = await audience_choices(ctx)
    buttons = [[(name, Choice("audience", key).pack())] for key, name in choices]
    return ctx.reply(prompt, buttons=buttons)


@router.step(CONVERSATION, "audience", roles=STAFF)
async def typed_audience(ctx: Context) -> Reply:
    """An audience typed out: ``all``/``alle``, ``board``/``Beirat``, ``staff``, or
    ``topic:NAME``/``Thema:NAME`` (a project or topic tag); anything else asks again
    with the buttons."""
    typed = " ".join((ctx.message.text or "").split())
    kb = (await ctx.services.knowledge.current(ctx.session)).kb
    audience = broadcast.resolve_audience(typed, kb)
    prefix, _, topic = typed.partition(":")
    if audience is None and prefix.casefold() in broadcast.TOPIC_PREFIXES:
        known = ", ".join(subscription_known(kb, ctx.lang))
        return await _ask_audience(ctx, ctx.t(UNKNOWN_TOPIC, topic=topic.strip(), topics=known))
    if audience is None:
        return await _ask_audience(ctx, ctx.t(ASK_AUDIENCE_AGAIN))
    await ctx.goto("german", audience=audience)
    return ctx.reply(ASK_GERMAN)


@router.callback(Choice, roles=STAFF, conversation=CONVERSATION, stale=STALE)
async def button(ctx: Context) -> Reply:
    choice = ctx.pressed(Choice)
    step, value = choice.step, choice.value
    if step == "audience":
        await ctx.goto("german", audience=value)
        return ctx.reply(ASK_GERMAN)
    if step == "english":
        await ctx.goto("confirm", text_en=None)
        return await _preview(ctx)
    if value == "later":
        await ctx.goto("when")
        return ctx.reply(ASK_WHEN, date=timing.example_date(ctx.lang, datetime.now(ctx.zone)))
    if value == "repeat":
        await ctx.goto("rule")
        return ctx.reply(ASK_RULE)
    if value != "send":
        await ctx.end_conversation()
        return ctx.reply(DISCARDED)
    return await _create(ctx)


async def _create(ctx: Context, when: timing.When | None = None) -> Reply:
    """File the announcement: out now, or stored for its time (the running klbot plans it)."""
    assert ctx.conversation is not None
    data = ctx.conversation.data
    await ctx.end_conversation()
    filed = await file_announcement(
        ctx.session,
        ctx.config,
        author=ctx.chat,
        author_identity=str(ctx.message.sender),
        audience=data["audience"],
        text_de=data["text_de"],
        text_en=data["text_en"],
        when=when,
    )
    if filed.state == "approval":
        return ctx.reply(AWAITING, id=filed.row.id)
    if when is not None:
        return ctx.reply(PLANNED, id=filed.row.id, when=timing.describe(when, ctx.zone, ctx.lang))
    return ctx.reply(QUEUED, id=filed.row.id, count=filed.count)


@dataclass(frozen=True)
class Filed:
    """A filed announcement: awaiting ``approval``, ``planned`` or ``queued`` (to
    ``count`` recipients)."""

    row: Announcement
    state: str
    count: int = 0


async def file_announcement(
    session: Session,
    config: Config,
    *,
    author: str,
    author_identity: str,
    audience: str,
    text_de: str,
    text_en: str | None,
    when: timing.When | None,
) -> Filed:
    """Store an announcement by ``author_identity``, reporting to the chat ``author``,
    and send it now, plan it for ``when``,
    or hold it for a second person's approval (the four-eyes rule); audited. /announce
    and the web console file through here."""
    at, cron = (when.at, when.cron) if when else (None, None)
    row = await store.create(
        session,
        author=author,
        author_identity=author_identity,
        audience=audience,
        text_de=text_de,
        text_en=text_en,
        send_at=at,
        cron=cron,
    )
    if broadcast.needs_approval(row, config):
        row.status = "approval"
        await grants.audit(
            session,
            actor=author,
            action="announce",
            detail=f"#{row.id} to {row.audience}: awaiting approval",
        )
        return Filed(row, "approval")
    if at or cron:
        await grants.audit(
            session,
            actor=author,
            action="announce",
            detail=f"#{row.id} to {row.audience}: {cron or at}",
        )
        return Filed(row, "planned")
    count = await broadcast.fire(session, row, config)
    await grants.audit(
        session,
        actor=author,
        action="announce",
        detail=f"#{row.id} to {row.audience}: {count} recipients",
    )
    return Filed(row, "queued", count)


@router.step(CONVERSATION, "when", roles=STAFF)
@router.step(CONVERSATION, "rule", roles=STAFF)
async def when_step(ctx: Context) -> Reply:
    """A time or a rule, in words or as cron fields, whichever button led here."""
    try:
        when = timing.understand(ctx.message.text or "", ctx.zone, ctx.lang)
    except timing.NotUnderstood as refusal:
        return ctx.reply(str(refusal))
    return await _create(ctx, when)


@router.step(CONVERSATION, "german", roles=STAFF)
async def german(ctx: Context) -> Reply:
    await ctx.goto("english", text_de=(ctx.message.text or "").strip())
    return ctx.reply(ASK_ENGLISH, buttons=[[(NO_ENGLISH, Choice("english", "none").pack())]])


@router.step(CONVERSATION, "english", roles=STAFF)
async def english(ctx: Context) -> Reply:
    await ctx.goto("confirm", text_en=(ctx.message.text or "").strip())
    return await _preview(ctx)


async def audience_name(ctx: Context, audience: str) -> str:
    """A stored audience (``all``, ``topic:tag:Smart City``) as the buttons name it."""
    return dict(await audience_choices(ctx)).get(audience, audience)


async def _preview(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    audience = await audience_name(ctx, data["audience"])
    count = len(await broadcast.audience_of(ctx.session, data["audience"], ctx.config))
    parts = [ctx.t(PREVIEW, count=count, audience=audience)]
    cost = await broadcast.paid_cost(ctx.session, data["audience"], ctx.config, ctx.lang)
    for flag, lang in (("🇩🇪", "de"), ("🇬🇧", "en")):
        if lang == "de" or data["text_en"]:
            text = broadcast.message(
                text_de=data["text_de"],
                text_en=data["text_en"],
                audience=data["audience"],
                lang=lang,
                config=ctx.config,
            )
            parts += ["", f"{flag} {text}"]
    parts += ["", cost] if cost else []
    buttons = [
        [(SEND_NOW, Choice("confirm", "send").pack()), (LATER, Choice("confirm", "later").pack())],
        [
            (REPEAT, Choice("confirm", "repeat").pack()),
            (DISCARD, Choice("confirm", "discard").pack()),
        ],
    ]
    return ctx.reply("\n".join(parts), buttons=buttons)
