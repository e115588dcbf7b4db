"""/announce for staff: audience, German and English text, a preview, then out it goes."""

from __future__ import annotations

from bot import broadcast
from bot.context import Context
from bot.events import Reply
from bot.i18n import Text
from bot.roles import Role
from bot.router import Args, Router
from storage import announcements as store
from storage import outbox
from storage import roles as grants

router = Router("announcements")

CONVERSATION = "announce"
STAFF = [Role.STAFF]
AUDIENCES = {
    "all": Text(de="Alle Abonnenten", en="All subscribers"),
    "board": Text(de="Beirat", en="Board"),
    "staff": Text(de="Mitarbeitende", en="Staff"),
}
SUBSCRIBERS_OF = Text(de="Abonnenten: {topic}", en="Subscribers: {topic}")
ASK_AUDIENCE = Text(de="An wen geht die Ankündigung?", en="Who is the announcement for?")
ASK_GERMAN = Text(de="Der Text auf Deutsch:", en="The text in German:")
ASK_ENGLISH = Text(
    de="Und auf Englisch (für Empfänger, die Englisch gewählt haben)?",
    en="And in English (for recipients who chose English)?",
)
NO_ENGLISH = Text(de="Ohne englischen Text", en="No English text")
PREVIEW = Text(
    de="Vorschau – so erhalten es die Empfänger ({audience}):",
    en="Preview – this is what recipients get ({audience}):",
)
SEND_NOW, DISCARD = Text(de="Jetzt senden", en="Send now"), Text(de="Verwerfen", en="Discard")
QUEUED = Text(
    de="Ankündigung #{id} geht an {count} Empfänger. Wenn alles zugestellt ist, bekommst du "
    "einen Bericht.",
    en="Announcement #{id} is going to {count} recipients. You will get a report once it is "
    "delivered.",
)
DISCARDED = Text(de="Verworfen.", en="Discarded.")
EXPECTED_BUTTON = Text(
    de="Bitte wähle oben aus (oder /cancel).", en="Please choose above (or /cancel)."
)
STALE = Text(de="Diese Ankündigung ist schon erledigt.", en="That announcement is already done.")
PENDING = Text(de="Offene Ankündigungen:", en="Pending announcements:")
NOTHING_PENDING = Text(de="Keine offenen Ankündigungen.", en="No pending announcements.")
CANCELLED = Text(
    de="Ankündigung #{id} ist abgesagt; {count} noch nicht zugestellte Nachrichten entfallen.",
    en="Announcement #{id} is cancelled; {count} undelivered messages were dropped.",
)
AWAITING = Text(
    de="Ankündigung #{id} an alle wartet auf die Freigabe durch eine zweite Person: /approve {id}",
    en="Announcement #{id} to everyone awaits approval by a second person: /approve {id}",
)
NOTHING_TO_APPROVE = Text(
    de="Ankündigung #{id} wartet auf keine Freigabe.", en="Announcement #{id} awaits no approval."
)
OWN_ANNOUNCEMENT = Text(
    de="Die eigene Ankündigung freigeben geht nicht – dafür braucht es eine zweite Person.",
    en="You cannot approve your own announcement – that takes a second person.",
)
NO_SUCH = Text(
    de="Eine offene Ankündigung #{id} gibt es nicht.", en="There is no pending announcement #{id}."
)


async def audience_choices(ctx: Context) -> list[tuple[str, str]]:
    loaded = await ctx.services.knowledge.current(ctx.session)
    topics = [
        (f"topic:project:{p.id}", ctx.t(SUBSCRIBERS_OF, topic=p.name.get(ctx.lang)))
        for p in loaded.kb.projects
    ]
    return [
        ("all", ctx.t(AUDIENCES["all"])),
        *topics,
        *((key, ctx.t(name)) for key, name in AUDIENCES.items() if key != "all"),
    ]


@router.command(
    "announce", description=Text(de="Ankündigung senden", en="send an announcement"), roles=STAFF
)
async def announce(ctx: Context) -> Reply:
    await ctx.start_conversation(CONVERSATION, "audience")
    choices = await audience_choices(ctx)
    return ctx.reply(
        ASK_AUDIENCE, buttons=[[(name, f"ann:audience:{key}")] for key, name in choices]
    )


@router.callback("ann")
async def button(ctx: Context) -> Reply:
    step, _, value = ctx.args.partition(":")
    state = ctx.conversation
    if (
        not ctx.roles & set(STAFF)
        or state is None
        or state.name != CONVERSATION
        or (state.step != step)
    ):
        return ctx.reply(STALE)
    if step == "audience":
        await ctx.goto("german", audience=value)
        return ctx.reply(ASK_GERMAN)
    if step == "english":
        await ctx.goto("confirm", text_en=None)
        return await _preview(ctx)
    if value != "send":
        await ctx.end_conversation()
        return ctx.reply(DISCARDED)
    data = state.data
    await ctx.end_conversation()
    row = await store.create(
        ctx.session,
        author=ctx.chat,
        audience=data["audience"],
        text_de=data["text_de"],
        text_en=data["text_en"],
    )
    if broadcast.needs_approval(row, ctx.config):
        row.status = "approval"
        await grants.audit(
            ctx.session,
            actor=ctx.chat,
            action="announce",
            detail=f"#{row.id} to {row.audience}: awaiting approval",
        )
        return ctx.reply(AWAITING, id=row.id)
    count = await broadcast.fire(ctx.session, row, ctx.config)
    await grants.audit(
        ctx.session,
        actor=ctx.chat,
        action="announce",
        detail=f"#{row.id} to {row.audience}: {count} recipients",
    )
    return ctx.reply(QUEUED, id=row.id, count=count)


@router.step(CONVERSATION, "german")
async def german(ctx: Context) -> Reply:
    await ctx.goto("english", text_de=(ctx.message.text or "").strip())
    return ctx.reply(ASK_ENGLISH, buttons=[[(NO_ENGLISH, "ann:english:none")]])


@router.step(CONVERSATION, "english")
async def english(ctx: Context) -> Reply:
    await ctx.goto("confirm", text_en=(ctx.message.text or "").strip())
    return await _preview(ctx)


@router.step(CONVERSATION, "audience")
@router.step(CONVERSATION, "confirm")
async def expected_button(ctx: Context) -> Reply:
    return ctx.reply(EXPECTED_BUTTON)


async def _preview(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    audience = dict(await audience_choices(ctx)).get(data["audience"], data["audience"])
    parts = [ctx.t(PREVIEW, audience=audience), "", f"🇩🇪 {data['text_de']}"]
    if data["text_en"]:
        parts += ["", f"🇬🇧 {data['text_en']}"]
    buttons = [[(SEND_NOW, "ann:confirm:send"), (DISCARD, "ann:confirm:discard")]]
    return ctx.reply("\n".join(parts), buttons=buttons)


@router.command(
    "approve",
    description=Text(
        de="Ankündigung freigeben (Vier-Augen-Prinzip)", en="approve an announcement (four eyes)"
    ),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text(de="/approve 7", en="/approve 7"),
)
async def approve(ctx: Context) -> Reply:
    number = ctx.args.lstrip("#")
    row = await store.get(ctx.session, announcement_id=int(number)) if number.isdecimal() else None
    if row is None or row.status != "approval":
        return ctx.reply(NOTHING_TO_APPROVE, id=number)
    if row.author == ctx.chat:
        return ctx.reply(OWN_ANNOUNCEMENT)
    count = await broadcast.fire(ctx.session, row, ctx.config)
    await grants.audit(
        ctx.session,
        actor=ctx.chat,
        action="approve",
        detail=f"#{row.id} to {row.audience}: {count} recipients",
    )
    return ctx.reply(QUEUED, id=row.id, count=count)


@router.command(
    "scheduled",
    description=Text(de="offene Ankündigungen", en="pending announcements"),
    roles=STAFF,
)
async def scheduled(ctx: Context) -> Reply:
    rows = await store.pending(ctx.session)
    if not rows:
        return ctx.reply(NOTHING_PENDING)
    lines = [ctx.t(PENDING)]
    for row in rows:
        progress = await store.progress(ctx.session, announcement_id=row.id)
        lines.append(
            f"#{row.id} · {row.audience} · {row.status} · {progress.sent}/"
            f"{progress.recipients} · {' '.join(row.text_de.split())[:50]}"
        )
    return ctx.reply("\n".join(lines))


@router.command(
    "unschedule",
    description=Text(de="Ankündigung absagen", en="cancel an announcement"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text(de="/unschedule 7", en="/unschedule 7"),
)
async def unschedule(ctx: Context) -> Reply:
    number = ctx.args.lstrip("#")
    row = await store.get(ctx.session, announcement_id=int(number)) if number.isdecimal() else None
    if row is None or row.status not in ("scheduled", "sending", "approval"):
        return ctx.reply(NO_SUCH, id=number)
    row.status = "cancelled"
    dropped = await outbox.give_up_announcement(ctx.session, announcement_id=row.id)
    return ctx.reply(CANCELLED, id=row.id, count=dropped)
