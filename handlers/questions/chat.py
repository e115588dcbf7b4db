"""Free-text questions: answer from the knowledge base, or say honestly that klbot does not know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Plural, Text, number
from bot.core.roles import Role
from bot.core.router import Args, Router
from bot.knowledge.fields import AnyEntry
from bot.knowledge.schema import KnowledgeError
from bot.knowledge.service import DEFAULT_SOURCE, Loaded
from bot.knowledge.text import guess_language, normalise_question
from handlers.catalogue import entries
from handlers.catalogue.chat import GONE
from handlers.feedback.chat import ask_what_was_missing
from handlers.start.smalltalk import INTRO
from storage import knowledge as store

router = Router("questions")


@dataclass(frozen=True)
class Meant(ButtonData, prefix="answer"):
    """A "did you mean" choice: the entry, and the language the question was asked in."""

    lang: str
    entry: str


@dataclass(frozen=True)
class Rating(ButtonData, prefix="rate", optional=True):
    """👍 (1) or 👎 (0) on one answer."""

    answer: int
    helpful: int


HELPFUL = Text("👍 Helpful")
UNHELPFUL = Text("👎 Not helpful")
MORE = Text("More: {title}")
THANKS = Text("Thank you for your feedback!")
UNKNOWN = Text("I'm sorry, I have no information on that.")
CLOSE = Text("Perhaps one of these topics helps:")
DID_YOU_MEAN = Text("I'm not sure what you mean. Did you mean one of these?")
WAY_FORWARD = Text(
    "I have noted your question anonymously so the team can close the gap. You "
    "can also write to them directly: /feedback"
)
RATINGS = Text("Answers of the last {days} days (given · 👍 · 👎):")
NO_RATINGS = Text("I answered no question in the last {days} days.")
BAD_DAYS = Text("Please give the number of days, for example: /{command} 30")
RELOADED = Plural(
    "Knowledge base reloaded: version {version} from {source} ({count} entry).",
    "Knowledge base reloaded: version {version} from {source} ({count} entries).",
)
BUILT_IN = Text("the built-in file")
RELOAD_FAILED = Text("The file has errors; the current knowledge base stays active:\n{problems}")


@router.text()
async def answer(ctx: Context) -> Reply:
    question = ctx.message.text or ""
    loaded = await ctx.services.knowledge.current(ctx.session)
    outcome = await loaded.ask(question)
    if not outcome.has_content:
        return ctx.reply(INTRO)
    if outcome.answer is not None:
        return await answer_reply(ctx, outcome.answer, loaded)
    await store.log_unanswered(
        ctx.session,
        text=question,
        normalised=normalise_question(question),
        language=guess_language(question) or ctx.lang,
    )
    choices = [
        [(entries.title(e, ctx.lang), Meant(ctx.lang, e.id).pack())] for e in outcome.choices
    ]
    if outcome.asking:
        ctx.services.metrics.answers.labels("asked back").inc()
        return ctx.reply(DID_YOU_MEAN, buttons=choices)
    ctx.services.metrics.answers.labels("declined").inc()
    lines = [ctx.t(UNKNOWN), ctx.t(WAY_FORWARD)]
    if choices:
        lines.append(ctx.t(CLOSE))
    return ctx.reply("\n\n".join(lines), buttons=choices)


async def answer_reply(ctx: Context, entry: AnyEntry, loaded: Loaded) -> Reply:
    """An entry as the answer to a question: its text, source and date, 👍/👎 and a next step."""
    ctx.services.metrics.answers.labels("answered").inc()
    answer_id = await store.log_answer(ctx.session, entry_id=entry.id, language=ctx.lang)
    source = entries.source_line(entry, loaded.kb, ctx.lang)
    text = f"{entries.answer_text(entry, ctx.lang)}\n\n{source}"
    buttons: list[list[tuple[Text | str, str]]] = [
        [(HELPFUL, Rating(answer_id, 1).pack()), (UNHELPFUL, Rating(answer_id, 0).pack())]
    ]
    follow_up = entries.related(entry, loaded.kb)[:1]
    buttons += [
        [(ctx.t(MORE, title=entries.title(r, ctx.lang)), entries.Show(r.id).pack())]
        for r in follow_up
    ]
    return ctx.reply(text, buttons=buttons)


@router.callback(Meant)
async def chosen(ctx: Context) -> Reply:
    """One tap on a "did you mean" choice gives the answer, in the question's language."""
    meant = ctx.pressed(Meant)
    ctx.lang = meant.lang if meant.lang in ("de", "en") else ctx.lang
    loaded = await ctx.services.knowledge.current(ctx.session)
    entry = loaded.kb.entry(meant.entry)
    if entry is None:
        return ctx.reply(GONE)
    return await answer_reply(ctx, entry, loaded)


@router.callback(Rating)
async def rate(ctx: Context) -> Reply:
    """👍 is thanked; 👎 asks what was missing (the reply becomes feedback on the answer)."""
    rating = ctx.pressed(Rating)
    if rating.helpful not in (0, 1):
        return ctx.reply(THANKS)
    rated = await store.rate_answer(
        ctx.session, answer_id=rating.answer, helpful=rating.helpful == 1
    )
    if rated and rating.helpful == 0:
        return await ask_what_was_missing(ctx, rating.answer)
    return ctx.reply(THANKS)


def days_asked(ctx: Context) -> int | None:
    if not ctx.args:
        return 30
    return int(ctx.args) if ctx.args.isdecimal() and 0 < int(ctx.args) <= 3650 else None


@router.command(
    "ratings",
    description=Text("how helpful the answers were"),
    roles=[Role.STAFF],
    args=Args.OPTIONAL,
    usage=Text("/ratings 30"),
)
async def ratings(ctx: Context) -> Reply:
    days = days_asked(ctx)
    if days is None:
        return ctx.reply(BAD_DAYS, command="ratings")
    since = datetime.now(UTC) - timedelta(days=days)
    found = await store.ratings(ctx.session, since=since)
    if not found:
        return ctx.reply(NO_RATINGS, days=days)
    kb = (await ctx.services.knowledge.current(ctx.session)).kb
    lines = [ctx.t(RATINGS, days=days)]
    for row in found:
        entry = kb.entry(row.entry_id)
        name = entries.title(entry, ctx.lang) if entry is not None else row.entry_id
        counts = (number(n, ctx.lang) for n in (row.answers, row.helpful, row.unhelpful))
        lines.append(f"{name}: {' · '.join(counts)}")
    return ctx.reply("\n".join(lines))


@router.command(
    "reload",
    description=Text("re-read the knowledge base"),
    roles=[Role.STAFF],
)
async def reload(ctx: Context) -> Reply:
    try:
        loaded = await ctx.services.knowledge.reload(ctx.session)
    except KnowledgeError as exc:
        return ctx.reply(RELOAD_FAILED, problems="\n".join(exc.problems[:10]))
    return ctx.reply(reloaded(loaded, ctx.lang))


def reloaded(loaded: Loaded, lang: str) -> str:
    """What staff read after a reload or import (chat and web console)."""
    source = BUILT_IN(lang) if loaded.source == DEFAULT_SOURCE else loaded.source
    return RELOADED(lang, version=loaded.version, source=source, count=len(loaded.kb.entries()))
