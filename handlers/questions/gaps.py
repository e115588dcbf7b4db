"""Staff close gaps: the questions klbot could not answer, what the knowledge base makes
of them now, and teaching one to the entry that answers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.events import Reply
from bot.core.i18n import Text
from bot.core.roles import Role
from bot.core.router import Args, Router
from bot.knowledge.hybrid import Outcome
from bot.knowledge.service import Loaded
from bot.knowledge.text import written_as
from handlers.catalogue import entries
from handlers.questions.chat import BAD_DAYS, days_asked
from storage import knowledge as store

router = Router("gaps")


@dataclass(frozen=True)
class Teach(ButtonData, prefix="teach"):
    """Staff will attach this gap's question to an entry."""

    gap: int


@dataclass(frozen=True)
class Taught(ButtonData, prefix="taught"):
    """Staff attach this gap's question to this entry."""

    gap: int
    entry: str


GAPS = Text("Most frequent unanswered questions of the last {days} days:")
GAP_ANSWERED = Text("   → now answered with: {title}")
GAP_CLOSEST = Text("   → closest: {titles}")
GAP_UNKNOWN = Text("   → words the knowledge base does not know: {words}")
GAPS_HOW = Text(
    "To close a gap, attach the question to the entry that answers it with the "
    "buttons below (in the shell: klbot kb teach “QUESTION” ENTRY). Or add an "
    "unknown word to the keywords of that entry, check the file with klbot kb "
    "check and load it with /reload (or klbot kb import FILE)."
)
TEACH = Text("Attach {number}.")
WHICH_ENTRY = Text("Which entry answers “{question}”?")
NO_CANDIDATES = Text(
    "I find no likely entry. In the shell any entry will do: klbot kb teach “QUESTION” ENTRY"
)
TAUGHT = Text("Learnt: I now answer “{question}” with “{title}”.")
GAP_GONE = Text(
    "That question is no longer stored (retention period). /gaps shows the current ones."
)
SHOWN_QUESTION = 200
"""Longer questions are cut in the gap list."""
SHOWN_WORDS = 10
"""At most this many unknown words are listed per gap."""
NO_GAPS = Text("No question went unanswered in the last {days} days.")


@router.command(
    "gaps",
    description=Text("unanswered questions"),
    roles=[Role.STAFF],
    args=Args.OPTIONAL,
    usage=Text("/gaps 30"),
)
async def gaps(ctx: Context) -> Reply:
    days = days_asked(ctx)
    if days is None:
        return ctx.reply(BAD_DAYS, command="gaps")
    since = datetime.now(UTC) - timedelta(days=days)
    found = await store.gaps(ctx.session, since=since)
    if not found:
        return ctx.reply(NO_GAPS, days=days)
    loaded = await ctx.services.knowledge.current(ctx.session)
    reports, buttons = [], []
    for number, gap in enumerate(found, start=1):
        outcome = await loaded.ask(gap.question)
        first, *rest = gap_report(loaded, gap, outcome, ctx.lang)
        reports.append("\n".join([f"{number}. {first}", *rest]))
        if outcome.answer is None:
            buttons.append((ctx.t(TEACH, number=number), Teach(gap.ref).pack()))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return ctx.reply("\n\n".join([ctx.t(GAPS, days=days), *reports, ctx.t(GAPS_HOW)]), buttons=rows)


def gap_report(loaded: Loaded, gap: store.Gap, outcome: Outcome, lang: str) -> list[str]:
    """A gap as lines for staff: how often it was asked, and what the current knowledge
    base makes of it (answered by now, or its closest entries and the words it lacks)."""
    question = gap.question.replace("\n", " ")
    if len(question) > SHOWN_QUESTION:
        question = question[: SHOWN_QUESTION - 1] + "…"
    lines = [f"{gap.count}× {question}"]
    if outcome.answer:
        return [*lines, GAP_ANSWERED(lang, title=entries.title(outcome.answer, lang))]
    if outcome.choices:
        titles = ", ".join(entries.title(entry, lang) for entry in outcome.choices)
        lines.append(GAP_CLOSEST(lang, titles=titles))
    unknown = written_as(gap.question, loaded.index.search(gap.question).unknown)
    if unknown:
        shown = [*unknown[:SHOWN_WORDS], *(["…"] if unknown[SHOWN_WORDS:] else [])]
        lines.append(GAP_UNKNOWN(lang, words=", ".join(shown)))
    return lines


async def _gap_question(ctx: Context, gap: int) -> str | None:
    return await store.unanswered(ctx.session, question_id=gap)


@router.callback(Teach, roles=[Role.STAFF], stale=GAP_GONE)
async def teach(ctx: Context) -> Reply:
    """Offer the entries that may answer a gap's question."""
    gap = ctx.pressed(Teach).gap
    question = await _gap_question(ctx, gap)
    if question is None:
        return ctx.reply(GAP_GONE)
    loaded = await ctx.services.knowledge.current(ctx.session)
    outcome = await loaded.ask(question)
    candidates = list(outcome.choices)
    if not candidates:
        return ctx.reply(NO_CANDIDATES)
    buttons = [[(entries.title(e, ctx.lang), Taught(gap, e.id).pack())] for e in candidates]
    return ctx.reply(WHICH_ENTRY, question=question[:SHOWN_QUESTION], buttons=buttons)


@router.callback(Taught, roles=[Role.STAFF], stale=GAP_GONE)
async def taught(ctx: Context) -> Reply:
    """Attach a gap's question to the entry staff chose."""
    chosen = ctx.pressed(Taught)
    entry_id = chosen.entry
    question = await _gap_question(ctx, chosen.gap)
    if question is None:
        return ctx.reply(GAP_GONE)
    knowledge = ctx.services.knowledge
    if await knowledge.teach(ctx.session, question=question, entry_id=entry_id) is None:
        return ctx.reply(GAP_GONE)
    entry = (await knowledge.current(ctx.session)).kb.entry(entry_id)
    title = entries.title(entry, ctx.lang) if entry else entry_id
    return ctx.reply(TAUGHT, question=question[:SHOWN_QUESTION], title=title)
