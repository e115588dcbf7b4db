"""Announcements waiting to go out: /approve (four eyes), /scheduled, /unschedule."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text
from bot.core.roles import Role
from bot.core.router import Args, Router
from handlers.announcements import broadcast
from handlers.announcements.compose import QUEUED
from storage import announcements as store
from storage import outbox
from storage import roles as grants
from storage.models import Announcement

router = Router("scheduled")


@dataclass(frozen=True)
class NoEnglish(ButtonData, prefix="annedit"):
    """While editing an announcement: keep it without an English text."""

    choice: str = "none"


STAFF = [Role.STAFF]
EDITABLE = ("scheduled", "approval")


async def _named(ctx: Context, *statuses: str) -> tuple[str, Announcement | None]:
    """The announcement the command's argument names (``7`` or ``#7``), if in ``statuses``."""
    number = ctx.args.split()[0].lstrip("#") if ctx.args else ""
    row = await store.get(ctx.session, announcement_id=int(number)) if number.isdecimal() else None
    return number, row if row is not None and row.status in statuses else None


PENDING = Text("Pending announcements:")
NOTHING_PENDING = Text("No pending announcements.")
CANCELLED = Plural(
    "Announcement #{id} is cancelled; {count} undelivered message was dropped.",
    "Announcement #{id} is cancelled; {count} undelivered messages were dropped.",
)
NOTHING_TO_APPROVE = Text("Announcement #{id} awaits no approval.")
OWN_ANNOUNCEMENT = Text("You cannot approve your own announcement – that takes a second person.")
NO_SUCH = Text("There is no pending announcement #{id}.")


@router.command(
    "approve",
    description=Text("approve an announcement (four eyes)"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/approve 7"),
)
async def approve(ctx: Context) -> Reply:
    number, row = await _named(ctx, "approval")
    if row is None:
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
    description=Text("pending announcements"),
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
    description=Text("cancel an announcement"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/unschedule 7"),
)
async def unschedule(ctx: Context) -> Reply:
    number, row = await _named(ctx, "scheduled", "sending", "approval")
    if row is None:
        return ctx.reply(NO_SUCH, id=number)
    row.status = "cancelled"
    dropped = await outbox.give_up_announcement(ctx.session, announcement_id=row.id)
    return ctx.reply(CANCELLED, id=row.id, count=dropped)


EDIT = "edit-announcement"
EDIT_GERMAN = Text("New German text for #{id} (so far: “{current}”):")
EDIT_ENGLISH = Text("New English text:")
KEEP_NO_ENGLISH = Text("No English text")
EDITED = Text("Announcement #{id} is changed.")
NOT_EDITABLE = Text("#{id} can no longer be changed (already going out, done or cancelled).")


@router.command(
    "edit",
    description=Text("change a planned announcement"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/edit 7"),
)
async def edit(ctx: Context) -> Reply:
    number, row = await _named(ctx, *EDITABLE)
    if row is None:
        return ctx.reply(NOT_EDITABLE, id=number)
    await ctx.start_conversation(EDIT, "german", id=row.id)
    return ctx.reply(EDIT_GERMAN, id=row.id, current=" ".join(row.text_de.split())[:80])


@router.step(EDIT, "german", roles=STAFF)
async def edit_german(ctx: Context) -> Reply:
    await ctx.goto("english", text_de=(ctx.message.text or "").strip())
    return ctx.reply(EDIT_ENGLISH, buttons=[[(KEEP_NO_ENGLISH, NoEnglish().pack())]])


@router.step(EDIT, "english", roles=STAFF)
async def edit_english(ctx: Context) -> Reply:
    return await _save_edit(ctx, (ctx.message.text or "").strip() or None)


@router.callback(NoEnglish, roles=STAFF, conversation=EDIT, step="english")
async def edit_without_english(ctx: Context) -> Reply:
    return await _save_edit(ctx, None)


async def _save_edit(ctx: Context, text_en: str | None) -> Reply:
    assert ctx.conversation is not None
    data = ctx.conversation.data
    await ctx.end_conversation()
    row = await store.get(ctx.session, announcement_id=data["id"])
    if row is None or row.status not in EDITABLE:
        return ctx.reply(NOT_EDITABLE, id=data["id"])
    row.text_de, row.text_en = data["text_de"], text_en
    await grants.audit(ctx.session, actor=ctx.chat, action="edit", detail=f"#{row.id}")
    return ctx.reply(EDITED, id=row.id)
