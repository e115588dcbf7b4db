"""Firing announcements: one outbox row per recipient, written in one transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core.i18n import Plural, Text
from bot.core.roles import Role
from bot.knowledge.schema import KnowledgeBase
from bot.runtime.config import Config
from handlers.roles.service import holders, language_of
from handlers.subscriptions.topics import topic_key
from storage import Session, announcements, outbox, people, subscriptions
from storage.models import Announcement

log = logging.getLogger(__name__)

AUDIENCES = ("all", "board", "staff")
REPORT = Plural(
    "Report on announcement #{id}: {count} recipient, {sent} delivered, "
    "{failed} undeliverable, took {duration}.",
    "Report on announcement #{id}: {count} recipients, {sent} delivered, "
    "{failed} undeliverable, took {duration}.",
)

UNCERTAIN = Plural(
    "For {count} message it is unclear whether it arrived: klbot stopped while sending it, "
    "and never sends a message twice.",
    "For {count} messages it is unclear whether they arrived: klbot stopped while sending "
    "them, and never sends a message twice.",
)


UNSUBSCRIBE = Text("You get this because you subscribed to news. To stop: /unsubscribe")


def message(*, text_de: str, text_en: str | None, audience: str, lang: str, config: Config) -> str:
    """What one recipient reads: the sender, the text in their language (German where
    there is no English one) and, for subscribers, how to unsubscribe."""
    body = text_en if lang == "en" and text_en else text_de
    sender = config.announcements.sender.strip()
    parts = [sender, body] if sender else [body]
    if audience not in ("board", "staff"):
        parts.append(UNSUBSCRIBE(lang))
    return "\n\n".join(parts)


def needs_approval(announcement: Announcement, config: Config) -> bool:
    """The four-eyes rule: announcements to all subscribers need a second staff member."""
    return config.announcements.four_eyes and announcement.audience == "all"


def resolve_audience(audience: str, kb: KnowledgeBase) -> str | None:
    """The audience as stored: ``all``, ``board``, ``staff``, or ``topic:NAME`` with NAME
    a project or topic tag (``topic:Smart City`` becomes ``topic:tag:Smart City``);
    ``None`` for anything else."""
    if audience in AUDIENCES:
        return audience
    if not audience.startswith("topic:"):
        return None
    key = topic_key(kb, audience.removeprefix("topic:"))
    return f"topic:{key}" if key else None


async def audience_of(session: Session, audience: str, config: Config) -> dict[str, str]:
    """Chat → language for everyone the audience reaches."""
    if audience in ("board", "staff"):
        members = await holders(session, config, Role(audience))
        return {identity: await language_of(session, config, identity) for identity in members}
    topic = None if audience == "all" else audience.removeprefix("topic:")
    return await subscriptions.recipients(session, topic=topic)


async def fire(
    session: Session, announcement: Announcement, config: Config, *, run: str = "now"
) -> int:
    """Write the delivery rows of one run (``run``: its scheduled minute), at most one per
    recipient even if several processes fire it; returns how many were written."""
    announcement.runs += 1
    announcement.status = "sending"
    announcement.started_at = datetime.now(UTC)
    audience = await audience_of(session, announcement.audience, config)
    texts = {
        lang: message(
            text_de=announcement.text_de,
            text_en=announcement.text_en,
            audience=announcement.audience,
            lang=lang,
            config=config,
        )
        for lang in set(audience.values())
    }
    queued = await outbox.enqueue_many(
        session,
        (
            outbox.Owed(chat, texts[lang], f"announcement:{announcement.id}:{run}:{chat}")
            for chat, lang in audience.items()
        ),
        announcement_id=announcement.id,
    )
    if queued >= outbox.MANY:
        await outbox.refresh_statistics(session)
    log.info("announcement %s run %s: %d recipient(s)", announcement.id, announcement.runs, queued)
    return queued


SKIPPED = Text(
    "Announcement #{id} was skipped: klbot was not running at the planned time "
    "and the grace period has passed. Send it again if it is still current."
)


async def skipped(session: Session, announcement: Announcement, config: Config) -> None:
    """Tell the author a run was missed; a one-off announcement ends as skipped."""
    if not announcement.cron:
        announcement.status = "skipped"
    person = await people.find_person(session, identity=announcement.author)
    lang = (person.language if person else None) or config.bot.default_language
    await outbox.enqueue(session, chat=announcement.author, text=SKIPPED(lang, id=announcement.id))


async def finish_delivered(session: Session, config: Config) -> list[int]:
    """Close announcements whose every row is sent or given up, and report to their authors."""
    done = []
    for announcement in await announcements.sending(session):
        progress = await announcements.progress(session, announcement_id=announcement.id)
        if progress.pending:
            continue
        announcements.finish(announcement)
        person = await people.find_person(session, identity=announcement.author)
        lang = (person.language if person else None) or config.bot.default_language
        started = announcement.started_at or announcement.created_at
        seconds = (datetime.now(UTC) - started).total_seconds()
        report = REPORT(
            lang,
            id=announcement.id,
            count=progress.recipients,
            sent=progress.sent,
            failed=progress.failed - progress.uncertain,
            duration=f"{seconds:.0f} s",
        )
        if progress.uncertain:
            report += " " + UNCERTAIN(lang, count=progress.uncertain)
        await outbox.enqueue(
            session,
            chat=announcement.author,
            text=report,
            dedupe_key=f"report:{announcement.id}:{announcement.runs}",
        )
        done.append(announcement.id)
    return done
