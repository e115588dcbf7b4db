"""Free-text questions: answer from the knowledge base, or say honestly that klbot does not know."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.context import Context
from bot.events import Reply
from bot.i18n import Text
from bot.knowledge.index import SearchIndex
from bot.knowledge.schema import KnowledgeError
from bot.knowledge.text import guess_language, normalise_question, written_as
from bot.roles import Role
from bot.router import Args, Router
from handlers import entries
from storage import knowledge as store

router = Router("questions")

HELPFUL = Text(de="👍 Hilfreich", en="👍 Helpful")
UNHELPFUL = Text(de="👎 Nicht hilfreich", en="👎 Not helpful")
MORE = Text(de="Mehr: {title}", en="More: {title}")
THANKS = Text(de="Danke für deine Rückmeldung!", en="Thank you for your feedback!")
INTRO = Text(
    de="Hallo! Frag mich etwas über die KL.digital GmbH, ihre Projekte und Ansprechpersonen – "
    "zum Beispiel: „Wer ist der CDO?“ oder „Was macht KL.digital?“. /help zeigt alle Befehle.",
    en="Hello! Ask me about KL.digital GmbH, its projects and contacts – for example: "
    "“Who is the CDO?” or “What does KL.digital do?”. /help lists all commands.",
)
UNKNOWN = Text(
    de="Dazu habe ich leider keine Informationen.",
    en="I'm sorry, I have no information on that.",
)
CLOSE = Text(
    de="Vielleicht hilft dir eines dieser Themen:", en="Perhaps one of these topics helps:"
)
WAY_FORWARD = Text(
    de="Deine Frage habe ich anonym notiert, damit das Team die Lücke schließen kann. "
    "Du kannst ihm auch direkt schreiben: /feedback",
    en="I have noted your question anonymously so the team can close the gap. "
    "You can also write to them directly: /feedback",
)
GAPS = Text(
    de="Häufigste unbeantwortete Fragen der letzten {days} Tage:",
    en="Most frequent unanswered questions of the last {days} days:",
)
GAP_ANSWERED = Text(
    de="   → inzwischen beantwortet mit: {title}", en="   → now answered with: {title}"
)
GAP_CLOSEST = Text(de="   → am nächsten: {titles}", en="   → closest: {titles}")
GAP_UNKNOWN = Text(
    de="   → Wörter, die die Wissensbasis nicht kennt: {words}",
    en="   → words the knowledge base does not know: {words}",
)
GAPS_HOW = Text(
    de="So schließt du eine Lücke: Nimm ein unbekanntes Wort in die keywords des Eintrags auf, "
    "der antworten soll (oder als Synonym eines bekannten Worts), prüfe die Datei mit "
    "klbot kb check und lade sie mit /reload (oder klbot kb import DATEI).",
    en="To close a gap, add an unknown word to the keywords of the entry that should "
    "answer (or as a synonym of a word the base knows), check the file with klbot kb check "
    "and load it with /reload (or klbot kb import FILE).",
)
SHOWN_QUESTION = 200
"""Longer questions are cut in the gap list."""
SHOWN_WORDS = 10
"""At most this many unknown words are listed per gap."""
NO_GAPS = Text(
    de="In den letzten {days} Tagen blieb keine Frage unbeantwortet.",
    en="No question went unanswered in the last {days} days.",
)
RATINGS = Text(
    de="Antworten der letzten {days} Tage (gegeben · 👍 · 👎):",
    en="Answers of the last {days} days (given · 👍 · 👎):",
)
NO_RATINGS = Text(
    de="In den letzten {days} Tagen habe ich keine Frage beantwortet.",
    en="I answered no question in the last {days} days.",
)
BAD_DAYS = Text(
    de="Bitte gib die Zahl der Tage an, zum Beispiel: /{command} 30",
    en="Please give the number of days, for example: /{command} 30",
)
RELOADED = Text(
    de="Wissensbasis neu geladen: Version {version} aus {source} ({count} Einträge).",
    en="Knowledge base reloaded: version {version} from {source} ({count} entries).",
)
RELOAD_FAILED = Text(
    de="Die Datei hat Fehler; die bisherige Wissensbasis bleibt aktiv:\n{problems}",
    en="The file has errors; the current knowledge base stays active:\n{problems}",
)


@router.text()
async def answer(ctx: Context) -> Reply:
    question = ctx.message.text or ""
    ctx.lang = guess_language(question) or ctx.lang
    loaded = await ctx.services.knowledge.current(ctx.session)
    result = loaded.index.search(question)
    if not result.has_content:
        return ctx.reply(INTRO)
    if result.answer is None:
        ctx.services.metrics.answers.labels("declined").inc()
        await store.log_unanswered(
            ctx.session, text=question, normalised=normalise_question(question), language=ctx.lang
        )
        lines = [ctx.t(UNKNOWN), ctx.t(WAY_FORWARD)]
        if result.suggestions:
            lines.append(ctx.t(CLOSE))
        close = [
            [(entries.title(m.entry, ctx.lang), f"kb:{m.entry.id}")] for m in result.suggestions
        ]
        return ctx.reply("\n\n".join(lines), buttons=close)
    entry = result.answer.entry
    ctx.services.metrics.answers.labels("answered").inc()
    answer_id = await store.log_answer(ctx.session, entry_id=entry.id, language=ctx.lang)
    source = entries.source_line(entry, loaded.kb, ctx.lang)
    text = f"{entries.answer_text(entry, ctx.lang)}\n\n{source}"
    buttons: list[list[tuple[Text | str, str]]] = [
        [(HELPFUL, f"rate:{answer_id}:1"), (UNHELPFUL, f"rate:{answer_id}:0")]
    ]
    follow_up = entries.related(entry, loaded.kb)[:1]
    buttons += [[(ctx.t(MORE, title=entries.title(r, ctx.lang)), f"kb:{r.id}")] for r in follow_up]
    return ctx.reply(text, buttons=buttons)


@router.callback("rate")
async def rate(ctx: Context) -> Reply:
    answer_id, _, vote = ctx.args.partition(":")
    if answer_id.isdecimal() and vote in ("0", "1"):
        await store.rate_answer(ctx.session, answer_id=int(answer_id), helpful=vote == "1")
    return ctx.reply(THANKS)


def _days(ctx: Context) -> int | None:
    if not ctx.args:
        return 30
    return int(ctx.args) if ctx.args.isdecimal() and 0 < int(ctx.args) <= 3650 else None


@router.command(
    "gaps",
    description=Text(de="unbeantwortete Fragen", en="unanswered questions"),
    roles=[Role.STAFF],
    args=Args.OPTIONAL,
    usage=Text(de="/gaps 30", en="/gaps 30"),
)
async def gaps(ctx: Context) -> Reply:
    days = _days(ctx)
    if days is None:
        return ctx.reply(BAD_DAYS, command="gaps")
    since = datetime.now(UTC) - timedelta(days=days)
    found = await store.gaps(ctx.session, since=since)
    if not found:
        return ctx.reply(NO_GAPS, days=days)
    index = (await ctx.services.knowledge.current(ctx.session)).index
    reports = ["\n".join(gap_report(index, gap, ctx.lang)) for gap in found]
    return ctx.reply("\n\n".join([ctx.t(GAPS, days=days), *reports, ctx.t(GAPS_HOW)]))


def gap_report(index: SearchIndex, gap: store.Gap, lang: str) -> list[str]:
    """A gap as lines for staff: how often it was asked, and what the current knowledge
    base makes of it (answered by now, or its closest entries and the words it lacks)."""
    question = gap.question.replace("\n", " ")
    if len(question) > SHOWN_QUESTION:
        question = question[: SHOWN_QUESTION - 1] + "…"
    lines = [f"{gap.count}× {question}"]
    result = index.search(gap.question)
    if result.answer:
        return [*lines, GAP_ANSWERED(lang, title=entries.title(result.answer.entry, lang))]
    if result.suggestions:
        titles = ", ".join(entries.title(m.entry, lang) for m in result.suggestions)
        lines.append(GAP_CLOSEST(lang, titles=titles))
    if unknown := written_as(gap.question, result.unknown):
        shown = [*unknown[:SHOWN_WORDS], *(["…"] if unknown[SHOWN_WORDS:] else [])]
        lines.append(GAP_UNKNOWN(lang, words=", ".join(shown)))
    return lines


@router.command(
    "ratings",
    description=Text(de="wie hilfreich die Antworten waren", en="how helpful the answers were"),
    roles=[Role.STAFF],
    args=Args.OPTIONAL,
    usage=Text(de="/ratings 30", en="/ratings 30"),
)
async def ratings(ctx: Context) -> Reply:
    days = _days(ctx)
    if days is None:
        return ctx.reply(BAD_DAYS, command="ratings")
    since = datetime.now(UTC) - timedelta(days=days)
    found = await store.ratings(ctx.session, since=since)
    if not found:
        return ctx.reply(NO_RATINGS, days=days)
    lines = [ctx.t(RATINGS, days=days)]
    lines += [f"{r.entry_id}: {r.answers} · {r.helpful} · {r.unhelpful}" for r in found]
    return ctx.reply("\n".join(lines))


@router.command(
    "reload",
    description=Text(de="Wissensbasis neu einlesen", en="re-read the knowledge base"),
    roles=[Role.STAFF],
)
async def reload(ctx: Context) -> Reply:
    try:
        loaded = await ctx.services.knowledge.reload(ctx.session)
    except KnowledgeError as exc:
        return ctx.reply(RELOAD_FAILED, problems="\n".join(exc.problems[:10]))
    return ctx.reply(
        RELOADED, version=loaded.version, source=loaded.source, count=len(loaded.kb.entries())
    )
