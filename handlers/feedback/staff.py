"""Staff tools for feedback: list, show, answer, close, reopen, statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from babel.numbers import format_decimal

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import LANGUAGES, Text, number
from bot.core.roles import Role
from bot.core.router import Args, Router
from handlers.catalogue import entries
from handlers.feedback import service
from handlers.feedback.chat import BOT, GENERAL, topic_name
from handlers.feedback.service import STATUS_NAMES, UNKNOWN_AUTHOR
from storage import feedback as store
from storage.models import Feedback, FeedbackAnswer

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
EVERY_STATUS = Text("every status")
UNKNOWN_REFERENCE = Text("There is no feedback {reference}. /inbox lists the newest.")
UNKNOWN_TO_BOARD = Text("There is no feedback {reference}. /digest names the newest.")
SHOWN = Text(
    "{reference} · {when} · {topic} · rating: {rating} · status: {status}\nFrom: {who}\n\n{body}"
)
ABOUT_ANSWER = Text("About the answer: {title}")
ANSWERS = Text("Answers:")
NOT_FOR_BOARD = Text("not shown to the board")
CLOSED = Text("{reference} is closed. /reopen {reference} opens it again.")
REOPENED = Text("{reference} is open again (status: {status}).")
NOT_CLOSED = Text("{reference} is not closed (status: {status}); there is nothing to reopen.")
STATS = Text("Feedback of the last {days} days (count · average rating):")
BAD_FILTER = Text(
    "Unknown filter “{word}”. Use status:new, status:read, status:answered, status:closed "
    "or status:all; topic:general, topic:bot or topic:PROJECT-ID; rating:1 to rating:5. "
    "For example: /inbox status:closed topic:bot rating:4"
)
EXAMPLE = Text("Example: {usage}")

KEYS = {"status": "status", "topic": "topic", "thema": "topic", "rating": "rating"}
KEYS |= {"bewertung": "rating"}
EVERYTHING = {"all", "alle"}
TOPIC_WORDS = {GENERAL: GENERAL, "allgemein": GENERAL, BOT: BOT}


def average_rating(value: float | None, lang: str) -> str:
    """An average rating as people in ``lang`` write it (``4,5`` in German), ``–`` for none."""
    return "–" if value is None else format_decimal(value, format="0.0", locale=lang)


def status_name(ctx: Context, status: str) -> str:
    """A status in the reader's words (``erledigt`` for ``closed``)."""
    return ctx.t(STATUS_NAMES[status]) if status in STATUS_NAMES else status


@cache
def _status_words() -> dict[str, str]:
    """Every way to name a status in a filter: its id and its name in each language."""
    words = {status: status for status in STATUS_NAMES}
    for status, name in STATUS_NAMES.items():
        words |= {name(lang).lower(): status for lang in LANGUAGES}
    return words


@dataclass
class Filters:
    """What /inbox lists: statuses (empty: every one), a topic, a rating."""

    statuses: list[str] = field(default_factory=lambda: ["new", "read"])
    topic: str | None = None
    rating: int | None = None

    def read(self, word: str, projects: dict[str, str]) -> bool:
        """Take ``word`` (``status:closed``, ``thema:bot``, ``4``, ``erledigt``); False if
        it names no filter."""
        key, _, value = word.partition(":") if ":" in word else ("", "", word)
        kind = KEYS.get(key) if key else None
        if key and kind is None:
            return False
        statuses = _status_words()
        if kind in (None, "status") and (value in EVERYTHING or value in statuses):
            self.statuses = [] if value in EVERYTHING else [statuses[value]]
        elif kind in (None, "rating") and value in {"1", "2", "3", "4", "5"}:
            self.rating = int(value)
        elif kind in (None, "topic") and value in TOPIC_WORDS:
            self.topic = TOPIC_WORDS[value]
        elif kind in (None, "topic") and value in projects:
            self.topic = f"project:{projects[value]}"
        else:
            return False
        return True


@router.command(
    "inbox",
    description=Text("read feedback"),
    roles=STAFF,
    args=Args.OPTIONAL,
    usage=Text("/inbox status:answered topic:bot"),
)
async def inbox(ctx: Context) -> Reply:
    loaded = await ctx.services.knowledge.current(ctx.session)
    projects = {p.id.lower(): p.id for p in loaded.kb.projects}  # typed in any case
    filters = Filters()
    for word in ctx.args.lower().split():
        if not filters.read(word, projects):
            return ctx.reply(BAD_FILTER, word=word)
    rows = await store.search(
        ctx.session, statuses=filters.statuses, topic=filters.topic, rating=filters.rating
    )
    if not rows:
        return ctx.reply(NONE_FOUND)
    shown = [", ".join(status_name(ctx, s) for s in filters.statuses) or ctx.t(EVERY_STATUS)]
    shown += [await topic_name(ctx, filters.topic)] if filters.topic else []
    shown += [f"★{filters.rating}"] if filters.rating else []
    lines = [ctx.t(LISTED, filters=" · ".join(shown))]
    for row in rows:
        preview = " ".join(row.text.split())[:70]
        stars = f"★{row.rating}" if row.rating else "–"
        status = status_name(ctx, row.status)
        lines.append(
            f"{row.reference} · {ctx.when(row.created_at)} · {stars} · {status}: {preview}"
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
    if Role.STAFF in ctx.roles:
        who = await service.sender(ctx.session, row, ctx.lang)
        service.seen_by_staff(row)
    else:  # the board reads without changing or seeing who
        who = ctx.t(NOT_FOR_BOARD)
    text = ctx.t(
        SHOWN,
        reference=row.reference,
        when=ctx.when(row.created_at),
        topic=await topic_name(ctx, row.topic),
        rating=row.rating or "–",
        status=status_name(ctx, row.status),
        who=who,
        body=row.text,
    )
    if row.about_entry:
        text += "\n\n" + ctx.t(ABOUT_ANSWER, title=await _entry_title(ctx, row.about_entry))
    history = (await store.answers_to(ctx.session, [row.id]))[row.id]
    if history:
        text += "\n\n" + "\n".join([ctx.t(ANSWERS), *(_answer_line(ctx, a) for a in history)])
    return ctx.reply(text)


async def _entry_title(ctx: Context, entry_id: str) -> str:
    """The entry's title in the reader's language, or its id if it is gone meanwhile."""
    loaded = await ctx.services.knowledge.current(ctx.session)
    entry = loaded.kb.entry(entry_id)
    return entries.title(entry, ctx.lang) if entry is not None else entry_id


def _answer_line(ctx: Context, answer: FeedbackAnswer) -> str:
    author = ctx.t(UNKNOWN_AUTHOR) if answer.author == store.UNKNOWN_AUTHOR else answer.author
    return f"• {ctx.when(answer.created_at)} · {author}: {answer.text}"


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
    """Send an answer where the person allowed contact, and keep it in the history."""
    reference, _, text = ctx.args.partition(" ")
    if not text.strip():
        return ctx.reply(EXAMPLE, usage="/answer F-7K3QX2 …")
    row = await _find(ctx, reference)
    if isinstance(row, Reply):
        return row
    done = await service.send_answer(
        ctx.session,
        row,
        text=text,
        author=str(ctx.message.sender),
        limit=ctx.config.bot.max_message_length,
    )
    return ctx.reply(done.said(ctx.lang))


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
    await service.close(ctx.session, row, by=str(ctx.message.sender))
    return ctx.reply(CLOSED, reference=row.reference)


@router.command(
    "reopen",
    description=Text("reopen closed feedback"),
    roles=STAFF,
    args=Args.REQUIRED,
    usage=Text("/reopen F-7K3QX2"),
)
async def reopen(ctx: Context) -> Reply:
    row = await _find(ctx, ctx.args.split()[0])
    if isinstance(row, Reply):
        return row
    if not await service.reopen(ctx.session, row, by=str(ctx.message.sender)):
        return ctx.reply(NOT_CLOSED, reference=row.reference, status=status_name(ctx, row.status))
    return ctx.reply(REOPENED, reference=row.reference, status=status_name(ctx, row.status))


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
        average = average_rating(entry.average_rating, ctx.lang)
        count = number(entry.count, ctx.lang)
        lines.append(f"{await topic_name(ctx, entry.topic)}: {count} · {average}")
    return ctx.reply("\n".join(lines))
