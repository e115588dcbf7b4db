"""Firing announcements: one outbox row per recipient, written in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.i18n import Plural, Text, number
from bot.core.roles import Role
from bot.knowledge.schema import KnowledgeBase
from bot.runtime.config import Config
from handlers.roles.service import holders
from handlers.subscriptions.topics import topic_key
from storage import Session, announcements, outbox, people, subscriptions
from storage.announcements import Progress
from storage.models import Announcement

log = logging.getLogger(__name__)

AUDIENCES = ("all", "board", "staff")
AUDIENCE_WORDS = {
    "all": ("all", "alle", "alles", "everyone", "all subscribers", "alle abonnenten"),
    "board": ("board", "beirat"),
    "staff": ("staff", "mitarbeitende", "team"),
}
"""What people type for each audience, in German and English."""
TOPIC_PREFIXES = ("topic", "thema")
"""``topic:NAME`` (or ``Thema:NAME``): the subscribers of a project or topic tag."""
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

STARS_PER_MESSAGE = 0.1
"""Telegram's fee for a paid broadcast message above the free limit, in Stars."""
FREE_PER_SECOND = 30
"""Messages a second Telegram sends for free."""
PAID_COST = Plural(
    "Paid broadcast on Telegram: {count} recipient there, up to {rate} messages a second, "
    "costs about {stars} Telegram Stars (0.1 per message above the free 30 a second).",
    "Paid broadcast on Telegram: {count} recipients there, up to {rate} messages a second, "
    "costs about {stars} Telegram Stars (0.1 per message above the free 30 a second).",
)
STARS_RAN_OUT = Text(
    "Announcement #{id}: the bot's Telegram Stars ran out. The rest goes out at the free "
    "limit of 30 messages a second; top up the Stars for the next paid broadcast."
)


def paid_stars(count: int, rate: float) -> float:
    """What a paid broadcast to ``count`` Telegram chats at ``rate`` a second costs."""
    seconds = -(-count // max(1, int(rate)))
    return STARS_PER_MESSAGE * max(0, count - FREE_PER_SECOND * seconds)


async def paid_cost(session: Session, audience: str, config: Config, lang: str) -> str | None:
    """The cost line shown before a paid broadcast goes out; None where nothing is paid."""
    if not config.telegram.paid_broadcast:
        return None
    chats = await audience_of(session, audience, config)
    count = sum(1 for chat in chats if chat.startswith("telegram:"))
    if not count:
        return None
    stars = paid_stars(count, config.telegram.paid_rate)
    rate = number(config.telegram.paid_rate, lang)
    return PAID_COST(lang, count=count, rate=rate, stars=number(round(stars, 1), lang))


async def stars_ran_out(session: Session, message_id: int, config: Config) -> None:
    """Tell the author of the broadcast ``message_id`` belongs to, once, that it goes on at
    the free limit."""
    announcement_id = await outbox.announcement_of(session, message_id=message_id)
    announcement = (
        await announcements.get(session, announcement_id=announcement_id)
        if announcement_id
        else None
    )
    if announcement is None:
        return
    person = await people.find_person(session, identity=announcement.author)
    lang = (person.language if person else None) or config.bot.default_language
    await outbox.enqueue(
        session,
        chat=announcement.author,
        text=STARS_RAN_OUT(lang, id=announcement.id),
        dedupe_key=f"stars:{announcement.id}:{announcement.runs}",
    )


PROGRESS = Text("{done} / {count} delivered, about {minutes} min to go")
PROGRESS_START = Text("{done} / {count} delivered")
PROGRESS_DONE = Text("{done} / {count} delivered.")
SHOWS_PROGRESS = ("telegram:", "matrix:")
"""Platforms where the author's progress message is edited in place."""


def _progress_key(announcement: Announcement) -> str:
    return f"progress:{announcement.id}:{announcement.runs}"


async def _author_language(session: Session, announcement: Announcement, config: Config) -> str:
    person = await people.find_person(session, identity=announcement.author)
    return (person.language if person else None) or config.bot.default_language


async def start_progress(
    session: Session, announcement: Announcement, count: int, config: Config, done: int = 0
) -> None:
    """The author's progress message, edited in place as the broadcast goes out."""
    if not announcement.author.startswith(SHOWS_PROGRESS) or not count:
        return
    lang = await _author_language(session, announcement, config)
    text = PROGRESS_START(lang, done=number(done, lang), count=number(count, lang))
    await outbox.enqueue(
        session, chat=announcement.author, text=text, dedupe_key=_progress_key(announcement)
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a broadcast stands, as the author's progress message, the report and the web
    console tell it."""

    recipients: int
    delivered: int
    undeliverable: int
    """Given up as undeliverable or cancelled (not the uncertain ones)."""
    uncertain: int
    pending: int
    minutes_left: int | None
    """About how long the rest takes at the pace so far; ``None`` before the first message
    is through and once none is left."""

    @property
    def through(self) -> int:
        """Delivered or given up."""
        return self.recipients - self.pending


def standing(
    announcement: Announcement, progress: Progress, now: datetime | None = None
) -> Standing:
    """How far the broadcast of ``announcement`` is (``progress``: its outbox rows), and
    how long the rest takes at the pace since it started."""
    done = progress.sent + progress.failed
    minutes = None
    if progress.pending and done:
        started = announcement.started_at or announcement.created_at
        elapsed = ((now or datetime.now(UTC)) - started).total_seconds()
        minutes = max(1, round(elapsed / done * progress.pending / 60))
    return Standing(
        recipients=progress.recipients,
        delivered=progress.sent,
        undeliverable=progress.failed - progress.uncertain,
        uncertain=progress.uncertain,
        pending=progress.pending,
        minutes_left=minutes,
    )


async def show_progress(
    session: Session, announcement: Announcement, progress: Progress, config: Config
) -> None:
    """The author's progress message: written at the first look after the broadcast
    started (so that the reply which started it, written after the delivery rows, is read
    first), then new texts: how many are through, and about how long the rest takes at the
    pace so far (once the message is shown and the last new text is out). A broadcast
    through before the first look gets its report only."""
    key = _progress_key(announcement)
    shown = await outbox.shown(session, dedupe_key=key)
    state = standing(announcement, progress)
    if shown is None and state.pending:
        await start_progress(session, announcement, state.recipients, config, state.through)
    if shown is None or shown.platform_id is None or (shown.edit_waiting and progress.pending):
        return
    lang = await _author_language(session, announcement, config)
    values = {"done": number(state.through, lang), "count": number(state.recipients, lang)}
    if not state.pending:
        text = PROGRESS_DONE(lang, **values)
    elif state.minutes_left is not None:
        text = PROGRESS(lang, minutes=number(state.minutes_left, lang), **values)
    else:
        return
    await outbox.enqueue(
        session,
        chat=announcement.author,
        text=text,
        dedupe_key=f"{key}:{state.through}",
        edit_of=shown.id,
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
    a project or topic tag (``topic:Smart City`` or ``Thema:Smart City`` becomes
    ``topic:tag:Smart City``);
    ``None`` for anything else. German and English words for the first three
    (:data:`AUDIENCE_WORDS`) and any case do as well."""
    typed = " ".join(audience.split())
    for key, words in AUDIENCE_WORDS.items():
        if typed.casefold() in words:
            return key
    prefix, _, name = typed.partition(":")
    if prefix.casefold() not in TOPIC_PREFIXES or not name.strip():
        return None
    topic = topic_key(kb, name)
    return f"topic:{topic}" if topic else None


async def audience_of(session: Session, audience: str, config: Config) -> dict[str, str]:
    """Chat → language for everyone the audience reaches."""
    if audience in ("board", "staff"):
        members = await holders(session, config, Role(audience))
        default = config.bot.default_language
        return {
            identity: await people.language_of(session, identity=identity, default=default)
            for identity in members
        }
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
    paid = config.telegram.paid_broadcast
    queued = await outbox.enqueue_many(
        session,
        (
            outbox.Owed(
                chat,
                texts[lang],
                f"announcement:{announcement.id}:{run}:{chat}",
                paid=paid and chat.startswith("telegram:"),
            )
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
    lang = await people.language_of(
        session, identity=announcement.author, default=config.bot.default_language
    )
    await outbox.enqueue(session, chat=announcement.author, text=SKIPPED(lang, id=announcement.id))


async def finish_delivered(session: Session, config: Config) -> list[int]:
    """Close announcements whose every row is sent or given up, and report to their authors."""
    done = []
    for announcement in await announcements.sending(session):
        progress = await announcements.progress(session, announcement_id=announcement.id)
        await show_progress(session, announcement, progress, config)
        if progress.pending:
            continue
        announcements.finish(announcement)
        lang = await people.language_of(
            session, identity=announcement.author, default=config.bot.default_language
        )
        started = announcement.started_at or announcement.created_at
        seconds = (datetime.now(UTC) - started).total_seconds()
        final = standing(announcement, progress)
        report = REPORT(
            lang,
            id=announcement.id,
            count=final.recipients,
            sent=number(final.delivered, lang),
            failed=number(final.undeliverable, lang),
            duration=f"{seconds:.0f} s",
        )
        if final.uncertain:
            report += " " + UNCERTAIN(lang, count=final.uncertain)
        await outbox.enqueue(
            session,
            chat=announcement.author,
            text=report,
            dedupe_key=f"report:{announcement.id}:{announcement.runs}",
        )
        done.append(announcement.id)
    return done
