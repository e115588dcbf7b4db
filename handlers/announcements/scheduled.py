"""Announcements waiting to go out: /approve (four eyes), /scheduled, /unschedule, /edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text
from bot.core.roles import Role
from bot.core.router import Args, Router
from bot.runtime.config import Config
from handlers.announcements import broadcast, timing
from handlers.announcements.compose import (
    PLANNED,
    QUEUED,
    STALE,
    Filed,
    audience_choices,
    audience_name,
)
from storage import Session, outbox
from storage import announcements as store
from storage import roles as grants
from storage.models import Announcement

router = Router("scheduled")

STAFF = [Role.STAFF]
EDITABLE = ("scheduled", "approval")

NO_SUCH = Text("There is no announcement #{id}.")
STATES = {
    "approval": Text("awaits approval"),
    "scheduled": Text("planned"),
    "sending": Text("being delivered"),
}
NOT_PENDING = {
    "sending": Text("it is being delivered right now"),
    "done": Text("it was already delivered"),
    "cancelled": Text("it was cancelled"),
    "skipped": Text("it was skipped"),
}


async def _named(ctx: Context) -> tuple[str, Announcement | None]:
    """The announcement the command's argument names (``7`` or ``#7``), if there is one."""
    number = ctx.args.split()[0].lstrip("#") if ctx.args else ""
    row = await store.get(ctx.session, announcement_id=int(number)) if number.isdecimal() else None
    return number, row


PENDING = Text("Pending announcements:")
NOTHING_PENDING = Text("No pending announcements.")
AT_ONCE = Text("at once")
DELIVERED_SO_FAR = Text("{sent} of {count} delivered so far")
CANCELLED = Plural(
    "Announcement #{id} is cancelled; {count} undelivered message was dropped.",
    "Announcement #{id} is cancelled; {count} undelivered messages were dropped.",
)
CANNOT_CANCEL = Text("Announcement #{id} cannot be cancelled: {state}.")
NOTHING_TO_APPROVE = Text("Announcement #{id} does not need approval.")
OWN_ANNOUNCEMENT = Text("You cannot approve your own announcement – that takes a second person.")
TIME_PASSED = Text(
    "Announcement #{id} was planned for {when}; that time has passed and it will not go "
    "out on its own. Send it now, or give it a new time with /edit {id}."
)
SEND_IT_NOW = Text("Send now")


@router.command(
    "approve",
    description=Text("approve an announcement (four eyes)"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/approve 7"),
)
async def approve(ctx: Context) -> Reply:
    number, row = await _named(ctx)
    if row is None:
        return ctx.reply(NO_SUCH, id=number)
    approved = await approve_announcement(
        ctx.session, ctx.config, row, by=ctx.chat, identity=str(ctx.message.sender)
    )
    if isinstance(approved, Text):
        return ctx.reply(approved, id=number)
    when = timing.of(row)
    if approved.state == "passed" and when is not None:
        shown = timing.describe(when, ctx.zone, ctx.lang)
        button = [[(SEND_IT_NOW, SendApproved(row.id).pack())]]
        return ctx.reply(TIME_PASSED, id=row.id, when=shown, buttons=button)
    if approved.state == "planned" and when is not None:
        return ctx.reply(PLANNED, id=row.id, when=timing.describe(when, ctx.zone, ctx.lang))
    return ctx.reply(QUEUED, id=row.id, count=approved.count)


async def approve_announcement(
    session: Session,
    config: Config,
    row: Announcement,
    *,
    by: str,
    identity: str,
    now: bool = False,
) -> Filed | Text:
    """The second person's approval (four eyes): the announcement is planned, or sent
    (at once, or ``now`` although it had a time); ``passed`` when its time has gone by and
    nothing was done; the reason as a text if the person (``identity``, from the chat
    ``by``) may not approve it: nobody approves what they wrote or last changed, from
    whichever chat or the web. /approve and the web console approve through here."""
    if row.status != "approval":
        return NOTHING_TO_APPROVE
    if own(row, identity=identity, by=by):
        return OWN_ANNOUNCEMENT
    when = timing.of(row)
    if when is not None and not now:
        if timing.next_run(when, ZoneInfo(config.bot.timezone)) is None:
            return Filed(row, "passed")
        row.status = "scheduled"
        await grants.audit(session, actor=by, action="approve", detail=f"#{row.id}: planned")
        return Filed(row, "planned")
    count = await broadcast.fire(session, row, config)
    await grants.audit(
        session,
        actor=by,
        action="approve",
        detail=f"#{row.id} to {row.audience}: {count} recipients",
    )
    return Filed(row, "queued", count)


def own(row: Announcement, *, identity: str, by: str) -> bool:
    """Whether ``identity`` (in the chat ``by``) wrote the announcement as it stands, or
    changed it last; for rows that know only their chat, whether that is the chat."""
    wrote = row.author_identity or row.author
    return identity == wrote or (wrote == row.author and by == row.author)


@dataclass(frozen=True)
class SendApproved(ButtonData, prefix="annsend"):
    """Approve an announcement whose time has passed and send it now."""

    id: int


@router.callback(SendApproved, roles=STAFF, stale=STALE)
async def send_approved(ctx: Context) -> Reply:
    number = ctx.pressed(SendApproved).id
    row = await store.get(ctx.session, announcement_id=number)
    if row is None:
        return ctx.reply(NOTHING_TO_APPROVE, id=number)
    approved = await approve_announcement(
        ctx.session, ctx.config, row, by=ctx.chat, identity=str(ctx.message.sender), now=True
    )
    if isinstance(approved, Text):
        return ctx.reply(approved, id=number)
    return ctx.reply(QUEUED, id=row.id, count=approved.count)


@router.command(
    "scheduled",
    description=Text("pending announcements"),
    roles=STAFF,
)
async def scheduled(ctx: Context) -> Reply:
    rows = await store.pending(ctx.session)
    if not rows:
        return ctx.reply(NOTHING_PENDING)
    lines = [ctx.t(PENDING)]
    for row in rows:
        when = timing.of(row)
        state = ctx.t(STATES[row.status])
        if row.status == "sending":
            progress = await store.progress(ctx.session, announcement_id=row.id)
            state = ctx.t(DELIVERED_SO_FAR, sent=progress.sent, count=progress.recipients)
        shown = timing.describe(when, ctx.zone, ctx.lang) if when else ctx.t(AT_ONCE)
        audience = await audience_name(ctx, row.audience)
        lines += [
            "",
            f"#{row.id} · {shown} · {audience} · {state}",
            f"„{' '.join(row.text_de.split())[:60]}“",
        ]
    return ctx.reply("\n".join(lines))


@router.command(
    "unschedule",
    description=Text("cancel an announcement"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/unschedule 7"),
)
async def unschedule(ctx: Context) -> Reply:
    number, row = await _named(ctx)
    if row is None:
        return ctx.reply(NO_SUCH, id=number)
    dropped = await cancel_announcement(ctx.session, row, by=ctx.chat)
    if dropped is None:
        return ctx.reply(CANNOT_CANCEL, id=row.id, state=ctx.t(NOT_PENDING[row.status]))
    return ctx.reply(CANCELLED, id=row.id, count=dropped)


async def cancel_announcement(session: Session, row: Announcement, *, by: str) -> int | None:
    """Cancel a pending announcement (undelivered messages dropped): how many were
    dropped, or ``None`` if it is no longer pending. Audited."""
    if row.status not in ("scheduled", "sending", "approval"):
        return None
    row.status = "cancelled"
    dropped = await outbox.give_up_announcement(session, announcement_id=row.id)
    await grants.audit(session, actor=by, action="unschedule", detail=f"#{row.id}")
    return dropped


EDIT = "edit-announcement"
router.choices(EDIT, "menu", "audience")


@dataclass(frozen=True)
class Change(ButtonData, prefix="annedit"):
    """While editing an announcement: what to change (``value``: the new audience)."""

    what: str
    value: str = ""


NOT_EDITABLE = Text("Announcement #{id} can no longer be changed: {state}.")
OVERVIEW = Text("Announcement #{id}\nTo: {audience}\nWhen: {when}\nState: {state}")
NO_ENGLISH_YET = Text("(no English text: everyone gets the German one)")
WHAT_TO_CHANGE = Text("What would you like to change?")
CHANGE_GERMAN, CHANGE_ENGLISH = Text("German text"), Text("English text")
CHANGE_WHEN, CHANGE_AUDIENCE = Text("Time"), Text("Recipients")
REMOVE_ENGLISH, FINISHED = Text("Remove the English text"), Text("Done")
ASK_NEW_GERMAN = Text("The new German text:")
ASK_NEW_ENGLISH = Text("The new English text:")
ASK_NEW_WHEN = Text(
    "When should it go out? A time such as “tomorrow 9am” or “{date} 10:00”, or a rule "
    "such as “every Monday at 9”."
)
ASK_NEW_AUDIENCE = Text("Who is the announcement for?")
SAVED = Text("Saved.")
APPROVE_AGAIN = Text(
    "Announcement #{id} to everyone has changed, so it needs approval by a second person "
    "again: /approve {id}"
)
ENGLISH_REMOVED = Text("The English text is removed; everyone gets the German one.")
EDIT_DONE = Text("Announcement #{id} is ready. /scheduled shows every pending announcement.")
EDIT_STALE = Text("That change is no longer possible; /edit starts again.")


@router.command(
    "edit",
    description=Text("change a planned announcement"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/edit 7"),
)
async def edit(ctx: Context) -> Reply:
    number, row = await _named(ctx)
    if row is None:
        return ctx.reply(NO_SUCH, id=number)
    if row.status not in EDITABLE:
        return ctx.reply(NOT_EDITABLE, id=row.id, state=ctx.t(NOT_PENDING[row.status]))
    await ctx.start_conversation(EDIT, "menu", id=row.id)
    return await _overview(ctx, row)


async def _overview(ctx: Context, row: Announcement, *before: str) -> Reply:
    """The announcement as it stands, and buttons for what can be changed."""
    when = timing.of(row)
    head = ctx.t(
        OVERVIEW,
        id=row.id,
        audience=await audience_name(ctx, row.audience),
        when=timing.describe(when, ctx.zone, ctx.lang) if when else ctx.t(AT_ONCE),
        state=ctx.t(STATES[row.status]),
    )
    english = row.text_en if row.text_en else ctx.t(NO_ENGLISH_YET)
    parts = [*before, head, "", f"🇩🇪 {row.text_de}", "", f"🇬🇧 {english}", ""]
    buttons = [
        [(CHANGE_GERMAN, Change("german").pack()), (CHANGE_ENGLISH, Change("english").pack())],
        [(CHANGE_WHEN, Change("when").pack()), (CHANGE_AUDIENCE, Change("audience").pack())],
    ]
    if row.text_en:
        buttons.append([(REMOVE_ENGLISH, Change("remove-english").pack())])
    buttons.append([(FINISHED, Change("done").pack())])
    return ctx.reply("\n".join([*parts, ctx.t(WHAT_TO_CHANGE)]), buttons=buttons)


async def _editing(ctx: Context) -> Announcement | Reply:
    """The announcement being edited, or the reply that it can no longer be changed."""
    assert ctx.conversation is not None
    number = ctx.conversation.data["id"]
    row = await store.get(ctx.session, announcement_id=number)
    if row is None or row.status not in EDITABLE:
        await ctx.end_conversation()
        state = ctx.t(NOT_PENDING.get(row.status if row else "cancelled", NOT_PENDING["done"]))
        return ctx.reply(NOT_EDITABLE, id=number, state=state)
    return row


@router.callback(Change, roles=STAFF, conversation=EDIT, stale=EDIT_STALE)
async def change(ctx: Context) -> Reply:
    row = await _editing(ctx)
    if isinstance(row, Reply):
        return row
    choice = ctx.pressed(Change)
    if choice.what == "german":
        await ctx.goto("german")
        return ctx.reply(ASK_NEW_GERMAN)
    if choice.what == "english":
        await ctx.goto("english")
        return ctx.reply(ASK_NEW_ENGLISH)
    if choice.what == "when":
        await ctx.goto("when")
        example = timing.example_date(ctx.lang, datetime.now(ctx.zone))
        return ctx.reply(ASK_NEW_WHEN, date=example)
    if choice.what == "audience" and not choice.value:
        await ctx.goto("audience")
        choices = await audience_choices(ctx)
        buttons = [[(name, Change("audience", key).pack())] for key, name in choices]
        return ctx.reply(ASK_NEW_AUDIENCE, buttons=buttons)
    if choice.what == "audience":
        return await _new_audience(ctx, row, choice.value)
    if choice.what == "remove-english":
        return await _saved(ctx, row, Changes(text_en=""), ctx.t(ENGLISH_REMOVED))
    await ctx.end_conversation()
    return ctx.reply(EDIT_DONE, id=row.id)


async def _new_audience(ctx: Context, row: Announcement, audience: str) -> Reply:
    if audience not in dict(await audience_choices(ctx)):  # the topic is gone meanwhile
        return ctx.reply(EDIT_STALE)
    return await _saved(ctx, row, Changes(audience=audience))


async def _saved(ctx: Context, row: Announcement, changes: Changes, *notes: str) -> Reply:
    """Make the change (through :func:`edit_announcement`) and show the announcement
    again, saying when it needs approval again."""
    edited = await edit_announcement(
        ctx.session, ctx.config, row, changes, by=ctx.chat, identity=str(ctx.message.sender)
    )
    if edited is None:  # no longer pending: _editing let it through a moment ago
        await ctx.end_conversation()
        return ctx.reply(NOT_EDITABLE, id=row.id, state=ctx.t(NOT_PENDING[row.status]))
    notes = notes or (ctx.t(SAVED),)
    if edited.approve_again:
        notes = (*notes, ctx.t(APPROVE_AGAIN, id=row.id))
    await ctx.goto("menu")
    return await _overview(ctx, row, *notes, "")


@dataclass(frozen=True)
class Changes:
    """What an edit changes; ``None`` keeps a field as it is, an empty ``text_en`` removes
    the English text."""

    text_de: str | None = None
    text_en: str | None = None
    when: timing.When | None = None
    audience: str | None = None


@dataclass(frozen=True)
class Edited:
    """An edited announcement; ``approve_again``: it went back to approval."""

    row: Announcement
    changed: tuple[str, ...]
    approve_again: bool = False


async def edit_announcement(
    session: Session,
    config: Config,
    row: Announcement,
    changes: Changes,
    *,
    by: str,
    identity: str,
) -> Edited | None:
    """Change a pending announcement (``None`` if it can no longer be changed: being
    delivered, done, cancelled). ``identity`` (from the chat ``by``) becomes the one who
    wrote it for the four-eyes rule, so nobody approves their own change; a planned
    announcement that needs four eyes (to everyone) goes back to approval, since what was
    approved has changed. Audited. /edit and the web console edit through here."""
    if row.status not in EDITABLE:
        return None
    changed = []
    if changes.text_de and changes.text_de != row.text_de:
        row.text_de = changes.text_de
        changed.append("text_de")
    if changes.text_en is not None and changes.text_en != (row.text_en or ""):
        row.text_en = changes.text_en or None
        changed.append("text_en")
    if changes.audience is not None and changes.audience != row.audience:
        row.audience = changes.audience
        changed.append("audience")
    if changes.when is not None and timing.of(row) != changes.when:
        row.send_at, row.cron = changes.when.at, changes.when.cron
        changed.append("when")
    if not changed:
        return Edited(row, ())
    row.author_identity = identity
    again = row.status == "scheduled" and broadcast.needs_approval(row, config)
    if again:
        row.status = "approval"
    detail = f"#{row.id}: {', '.join(changed)}" + ("; needs approval again" if again else "")
    await grants.audit(session, actor=by, action="edit", detail=detail)
    return Edited(row, tuple(changed), again)


@router.step(EDIT, "german", roles=STAFF)
@router.step(EDIT, "english", roles=STAFF)
async def new_text(ctx: Context) -> Reply:
    row = await _editing(ctx)
    if isinstance(row, Reply):
        return row
    assert ctx.conversation is not None
    text = (ctx.message.text or "").strip()
    if ctx.conversation.step == "german":
        return await _saved(ctx, row, Changes(text_de=text))
    return await _saved(ctx, row, Changes(text_en=text))


@router.step(EDIT, "when", roles=STAFF)
async def new_when(ctx: Context) -> Reply:
    row = await _editing(ctx)
    if isinstance(row, Reply):
        return row
    try:
        when = timing.understand(ctx.message.text or "", ctx.zone, ctx.lang)
    except timing.NotUnderstood as refusal:
        return ctx.reply(str(refusal))
    return await _saved(ctx, row, Changes(when=when))
