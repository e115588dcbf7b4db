"""The feedback digest: board members receive it weekly and ask for it with /digest."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.i18n import Plural, Text, number
from bot.core.roles import Role
from bot.knowledge.service import Knowledge
from bot.runtime.config import Config
from handlers.feedback.chat import TOPIC_NAMES
from handlers.feedback.staff import Show, average_rating
from handlers.roles.service import holders
from storage import Session, Sessions, outbox, people
from storage import feedback as store

log = logging.getLogger(__name__)

HEADER = Plural(
    "Feedback digest: {count} piece of feedback in the last {days} days.",
    "Feedback digest: {count} pieces of feedback in the last {days} days.",
)
EMPTY = Text("Feedback digest: no new feedback in the last {days} days.")
PER_TOPIC = Text("By topic (count · average rating):")
RECENT = Text("Recent comments:")
OPEN_ONE = Text("To read one in full, send /show {reference} or press its button.")
PERIOD = timedelta(days=7)
"""The span a digest covers, on schedule and on demand."""


@dataclass(frozen=True)
class Digest:
    """A digest's text and a button to open each piece of feedback it names."""

    text: str
    buttons: list[list[list[str]]] = field(default_factory=list)


async def compose(
    session: Session, *, knowledge: Knowledge, lang: str, since: datetime, recent: int
) -> Digest:
    """The digest of feedback since ``since``, in ``lang``."""
    days = max(1, round((datetime.now(since.tzinfo) - since) / timedelta(days=1)))
    stats = await store.stats(session, since=since)
    total = sum(entry.count for entry in stats)
    if not total:
        return Digest(EMPTY(lang, days=days))
    kb = (await knowledge.current(session)).kb
    names = {f"project:{p.id}": p.name.get(lang) for p in kb.projects}
    names |= {topic: name(lang) for topic, name in TOPIC_NAMES.items()}
    lines = [HEADER(lang, count=total, days=days), "", PER_TOPIC(lang)]
    for entry in stats:
        average = average_rating(entry.average_rating, lang)
        count = number(entry.count, lang)
        lines.append(f"• {names.get(entry.topic, entry.topic)}: {count} · {average}")
    latest = await store.search(session, since=since, limit=recent)
    if latest:
        lines += ["", RECENT(lang)]
        lines += [f"• {row.reference}: „{' '.join(row.text.split())[:200]}“" for row in latest]
        lines += ["", OPEN_ONE(lang, reference=latest[0].reference)]
    buttons = [[[row.reference, Show(row.reference).pack()]] for row in latest]
    return Digest("\n".join(lines), buttons)


async def send_to_board(
    session: Session, *, config: Config, knowledge: Knowledge, now: datetime
) -> int:
    """Owe every board member (configured or invited) this period's digest, once each;
    returns how many were queued."""
    since = now - PERIOD
    queued = 0
    for identity in await holders(session, config, Role.BOARD):
        lang = await people.language_of(
            session, identity=identity, default=config.bot.default_language
        )
        digest = await compose(
            session,
            knowledge=knowledge,
            lang=lang,
            since=since,
            recent=config.feedback.digest_recent,
        )
        key = f"digest:{now:%Y-%m-%dT%H:%M}:{identity}"
        queued += await outbox.enqueue(
            session, chat=identity, text=digest.text, buttons=digest.buttons, dedupe_key=key
        )
    return queued


async def send_weekly(
    sessions: Sessions, config: Config, knowledge: Knowledge, now: datetime | None = None
) -> int:
    """The scheduled digest: owe each board member the week before ``now`` (default:
    this minute); a second process firing the same minute queues nothing more."""
    now = now or datetime.now(ZoneInfo(config.bot.timezone))
    async with sessions() as session, session.begin():
        queued = await send_to_board(session, config=config, knowledge=knowledge, now=now)
    log.info("feedback digest queued for %d board member(s)", queued)
    return queued
