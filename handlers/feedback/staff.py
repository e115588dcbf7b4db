"""Staff tools for feedback: list, show, answer, close, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Identity, Reply
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Args, Router
from handlers.feedback.chat import topic_name
from storage import feedback as store
from storage import outbox
from storage.models import Feedback

router = Router("feedback_staff")


@dataclass(frozen=True)
class Show(ButtonData, prefix="fbs"):
    """Show one piece of feedback to staff."""

    reference: str


STAFF = [Role.STAFF]
READERS = [Role.STAFF, Role.BOARD]
"""Who may read a piece of feedback: staff, and the board (read-only, without the sender)
to open what the digest names."""
NONE_FOUND = Text("No matching feedback.")
LISTED = Text("Feedback ({filters}):")
UNKNOWN_REFERENCE = Text("There is no feedback {reference}. /inbox lists the newest.")
UNKNOWN_TO_BOARD = Text("There is no feedback {reference}. /digest names the newest.")
SHOWN = Text(
    "{reference} · {when} · {topic} · rating: {rating} · status: {status}\nFrom: "
    "{who}\n\n{body}{answer}"
)
ANSWERED_WITH = Text("\n\nAnswer: {answer}")
PSEUDONYM = Text("person {id} (no permission to contact)")
NOT_FOR_BOARD = Text("not shown to the board")
ANONYMOUS = Text("anonymous (deleted or anonymised)")
ANSWER_TO_CITIZEN = Text("KL.digital's answer to your feedback {reference}:\n\n{answer}")
ANSWER_SENT = Text("Answer to {reference} saved and sent to the person.")
ANSWER_STORED = Text("Answer to {reference} saved; the person can no longer be reached.")
CLOSED = Text("{reference} is closed.")
STATS = Text("Feedback of the last {days} days (count · average rating):")
BAD_FILTER = Text(
    "Unknown filter “{word}”. Use: new, read, answered, closed, all, 1–5, "
    "general, bot or a project id."
)


@router.command(
    "inbox",
    description=Text("read feedback"),
    roles=STAFF,
    args=Args.OPTIONAL,
    usage=Text("/inbox all bot 5"),
)
async def inbox(ctx: Context) -> Reply:
    statuses: list[str] = ["new", "read"]
    topic: str | None = None
    rating: int | None = None
    loaded = await ctx.services.knowledge.current(ctx.session)
    topics = {"general", "bot", *(p.id for p in loaded.kb.projects)}
    for word in ctx.args.lower().split():
        if word == "all":
            statuses = []
        elif word in store.STATUSES:
            statuses = [word]
        elif word in {"1", "2", "3", "4", "5"}:
            rating = int(word)
        elif word in topics:
            topic = word if word in ("general", "bot") else f"project:{word}"
        else:
            return ctx.reply(BAD_FILTER, word=word)
    rows = await store.search(ctx.session, statuses=statuses, topic=topic, rating=rating)
    if not rows:
        return ctx.reply(NONE_FOUND)
    filters = ", ".join(statuses or ["all"]) + (f", {topic}" if topic else "")
    filters += f", ★{rating}" if rating else ""
    lines = [ctx.t(LISTED, filters=filters)]
    for row in rows:
        preview = " ".join(row.text.split())[:70]
        stars = f"★{row.rating}" if row.rating else "–"
        lines.append(
            f"{row.reference} · {ctx.when(row.created_at)} · {stars} · {row.status}: {preview}"
        )
    return ctx.reply(
        "\n".join(lines), buttons=[[(r.reference, Show(r.reference).pack())] for r in rows]
    )


async def _find(ctx: Context, reference: str) -> Feedback | Reply:
    row = await store.find(ctx.session, reference=reference)
    if row is not None:
        return row
    unknown = UNKNOWN_REFERENCE if Role.STAFF in ctx.roles else UNKNOWN_TO_BOARD
    return ctx.reply(unknown, reference=reference)


async def _show(ctx: Context, reference: str) -> Reply:
    row = await _find(ctx, reference)
    if isinstance(row, Reply):
        return row
    if Role.STAFF not in ctx.roles:  # the board reads without changing or seeing who
        who = ctx.t(NOT_FOR_BOARD)
    elif row.may_contact and row.person_id is not None:
        who = ", ".join(await store.identities_of(ctx.session, person_id=row.person_id))
    elif row.person_id is not None:
        who = ctx.t(PSEUDONYM, id=row.person_id)
    else:
        who = ctx.t(ANONYMOUS)
    if Role.STAFF in ctx.roles:
        store.set_status(row, "read")
    return ctx.reply(
        SHOWN,
        reference=row.reference,
        when=ctx.when(row.created_at),
        topic=await topic_name(ctx, row.topic),
        rating=row.rating or "–",
        status=row.status,
        who=who,
        body=row.text,
        answer=ctx.t(ANSWERED_WITH, answer=row.answer) if row.answer else "",
    )


@router.command(
    "show",
    description=Text("show one piece of feedback"),
    roles=READERS,
    args=Args.REQUIRED,
    usage=Text("/show F-7K3QX2"),
)
async def show(ctx: Context) -> Reply:
    return await _show(ctx, ctx.args.split()[0])


@router.callback(Show, roles=READERS)
async def show_button(ctx: Context) -> Reply:
    return await _show(ctx, ctx.pressed(Show).reference)


@router.command(
    "answer",
    description=Text("answer feedback"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/answer F-7K3QX2 Thanks!"),
)
async def answer(ctx: Context) -> Reply:
    reference, _, text = ctx.args.partition(" ")
    if not text.strip():
        return ctx.reply(Text("Example: {usage}"), usage="/answer F-7K3QX2 …")
    row = await _find(ctx, reference)
    if isinstance(row, Reply):
        return row
    store.record_answer(row, text.strip())
    identities = (
        await store.identities_of(ctx.session, person_id=row.person_id)
        if row.person_id is not None
        else []
    )
    same_platform = [i for i in identities if Identity.parse(i).platform == row.platform]
    chats = same_platform or identities[:1]
    for chat in chats[:1]:
        message = ANSWER_TO_CITIZEN(row.language, reference=row.reference, answer=row.answer)
        await outbox.enqueue(ctx.session, chat=chat, text=message)
    return ctx.reply(ANSWER_SENT if chats else ANSWER_STORED, reference=row.reference)


@router.command(
    "close",
    description=Text("close feedback"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/close F-7K3QX2"),
)
async def close(ctx: Context) -> Reply:
    row = await _find(ctx, ctx.args.split()[0])
    if isinstance(row, Reply):
        return row
    store.set_status(row, "closed")
    return ctx.reply(CLOSED, reference=row.reference)


@router.command(
    "fbstats",
    description=Text("feedback statistics"),
    roles=STAFF,
    args=Args.OPTIONAL,
    usage=Text("/fbstats 30"),
)
async def fbstats(ctx: Context) -> Reply:
    days = int(ctx.args) if ctx.args.isdecimal() and 0 < int(ctx.args) <= 3650 else 30
    found = await store.stats(ctx.session, since=datetime.now(UTC) - timedelta(days=days))
    if not found:
        return ctx.reply(NONE_FOUND)
    lines = [ctx.t(STATS, days=days)]
    for entry in found:
        average = f"{entry.average_rating:.1f}" if entry.average_rating is not None else "–"
        lines.append(f"{await topic_name(ctx, entry.topic)}: {entry.count} · {average}")
    return ctx.reply("\n".join(lines))
