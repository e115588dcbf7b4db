"""Messages klbot owes a chat: written in the same transaction as their cause, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, case, func, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.base import changed
from storage.models import OutboxMessage, utcnow

Buttons = list[list[list[str]]]
SECRET_REMOVED = "(vertraulicher Inhalt gelöscht / confidential content deleted)"
"""What a secret row's text becomes once it is sent or given up."""
_COLUMNS = cast(Table, OutboxMessage.__table__).c
SETTLED_TEXT = case((_COLUMNS.secret, SECRET_REMOVED), else_=_COLUMNS.text)
"""The text a row keeps once sent or given up (in an UPDATE's values)."""


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    chat: str
    text: str
    buttons: Buttons
    attempts: int
    attachment: tuple[str, bytes, str] | None = None
    """(file name, content, MIME type) of a file sent after the text."""
    paid: bool = False
    """A paid broadcast (Telegram Stars): may go above the free limit."""
    edits: str | None = None
    """The platform's id of the sent message whose text this one replaces."""


async def enqueue(
    session: AsyncSession,
    *,
    chat: str,
    text: str,
    buttons: Buttons | None = None,
    dedupe_key: str | None = None,
    announcement_id: int | None = None,
    attachment: tuple[str, bytes, str] | None = None,
    edit_of: int | None = None,
    secret: bool = False,
) -> bool:
    """Owe ``chat`` a message; with ``dedupe_key``, only once ever; with ``edit_of``, as a
    new text for that (sent) message instead of a message of its own; ``secret``: the text
    is replaced by a placeholder once sent or given up. True if queued."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).values(
        chat=chat,
        text=text,
        buttons=buttons,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
        attempts=0,
        announcement_id=announcement_id,
        attachment_name=attachment[0] if attachment else None,
        attachment=attachment[1] if attachment else None,
        attachment_type=attachment[2] if attachment else None,
        edit_of=edit_of,
        secret=secret,
    )
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(changed(result))


@dataclass(frozen=True, slots=True)
class Owed:
    """One message of a broadcast: its chat, text and once-ever key."""

    chat: str
    text: str
    dedupe_key: str | None = None
    paid: bool = False


CHUNK = 500
"""Rows per INSERT statement when many messages are owed at once."""


async def enqueue_many(
    session: AsyncSession, messages: Iterable[Owed], *, announcement_id: int | None = None
) -> int:
    """Owe each chat its message, a few hundred rows per statement; a message whose
    ``dedupe_key`` was queued before is skipped. Returns how many were queued."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    queued, now, owed = 0, utcnow(), list(messages)
    for start in range(0, len(owed), CHUNK):
        chunk = owed[start : start + CHUNK]
        rows = [
            {
                "chat": m.chat,
                "text": m.text,
                "dedupe_key": m.dedupe_key,
                "created_at": now,
                "attempts": 0,
                "announcement_id": announcement_id,
                "paid": m.paid,
            }
            for m in chunk
        ]
        statement = insert(OutboxMessage).values(rows)
        result = await session.execute(
            statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        queued += changed(result)
    return queued


async def take_pending(session: AsyncSession, *, chat: str) -> list[Due]:
    """The unsent messages for ``chat``, oldest first, marked sent: what a platform that
    cannot push shows with its next reply (commit after showing); secrets are no longer
    kept."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.chat == chat,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed.is_(None),
            )
            .order_by(OutboxMessage.id)
        )
    )
    now, due = utcnow(), [_due(row) for row in rows]
    for row in rows:
        row.sent_at = now
        if row.secret:
            row.text = SECRET_REMOVED
    return due


def _due(row: Any, edits: str | None = None) -> Due:
    attachment = None
    if row.attachment is not None:
        attachment = (row.attachment_name, row.attachment, row.attachment_type or "")
    paid = bool(getattr(row, "paid", False))
    return Due(row.id, row.chat, row.text, row.buttons or [], row.attempts, attachment, paid, edits)


async def reserve(
    session: AsyncSession,
    *,
    platforms: list[str],
    until: datetime,
    limit: int = 100,
    sender: str | None = None,
) -> list[Due]:
    """Take the next messages due for chats on ``platforms`` into ``sender``'s batch until
    ``until`` (or until ``sender`` stops beating); other senders skip them (``FOR UPDATE
    SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time). Only the oldest unsent
    message of a chat is ever taken, so a chat's messages keep their order even when
    several senders share the outbox."""
    now = utcnow()
    prefixes = [OutboxMessage.chat.startswith(f"{platform}:") for platform in platforms]
    earlier = aliased(OutboxMessage)
    waits_behind = (
        select(earlier.id)
        .where(
            earlier.chat == OutboxMessage.chat,
            earlier.id < OutboxMessage.id,
            earlier.sent_at.is_(None),
            earlier.failed.is_(None),
        )
        .exists()
    )
    due = (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed.is_(None),
        OutboxMessage.claimed_at.is_(None),
        or_(OutboxMessage.reserved_until.is_(None), OutboxMessage.reserved_until < now),
        or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        or_(*prefixes),
        ~waits_behind,
    )
    # replies and the authors' progress first: written during a broadcast, they would
    # otherwise wait behind every one of its recipients (20,000 at 30/s: 11 minutes)
    first = await _reserve(
        session, (*due, OutboxMessage.announcement_id.is_(None)), limit, until, sender
    )
    rest: list[Any] = []
    if len(first) < limit:  # every one of those is taken: the broadcasts' rows next
        broadcasts = (*due, OutboxMessage.announcement_id.is_not(None))
        rest = await _reserve(session, broadcasts, limit - len(first), until, sender)
    # and in that order, so a batch cut short by its time still sends the replies
    rows = sorted(first, key=lambda row: row.id) + sorted(rest, key=lambda row: row.id)
    edited = [row.edit_of for row in rows if row.edit_of is not None]
    sent_as: dict[int, str | None] = {}
    if edited:
        found = await session.execute(
            select(OutboxMessage.id, OutboxMessage.platform_message_id).where(
                OutboxMessage.id.in_(edited)
            )
        )
        sent_as = {row_id: platform_id for row_id, platform_id in found.all()}
    return [_due(row, sent_as.get(row.edit_of) if row.edit_of else None) for row in rows]


async def _reserve(
    session: AsyncSession,
    conditions: tuple[ColumnElement[bool], ...],
    limit: int,
    until: datetime,
    sender: str | None,
) -> list[Any]:
    """Reserve up to ``limit`` of the oldest rows that meet ``conditions``."""
    candidates = (
        select(OutboxMessage.id)
        .where(*conditions)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    table = OutboxMessage.__table__.c
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(reserved_until=until, sender=sender)
        .returning(
            table.id,
            table.paid,
            table.edit_of,
            table.chat,
            table.text,
            table.buttons,
            table.attempts,
            table.attachment_name,
            table.attachment_type,
            table.attachment,
        )
        .execution_options(synchronize_session=False)
    )
    return list(result.all())


MANY = 1000
"""Rows written at once after which the database's statistics of the outbox are stale."""


async def refresh_statistics(session: AsyncSession) -> None:
    """Update the query planner's statistics of the outbox (after a large broadcast was
    written: without them PostgreSQL plans :func:`reserve` as if the outbox were empty,
    which makes each reservation 30 times slower until autovacuum catches up)."""
    await session.execute(sql("ANALYZE outbox"))


async def unfinished(session: AsyncSession, *, platforms: list[str]) -> int:
    """How many messages for chats on ``platforms`` are neither sent nor given up."""
    prefixes = [OutboxMessage.chat.startswith(f"{platform}:") for platform in platforms]
    count = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed.is_(None), or_(*prefixes))
    )
    return int(count or 0)


@dataclass(frozen=True, slots=True)
class Shown:
    """A message sent once and edited since: its row, the platform's id for it, and
    whether a new text for it still waits to be sent."""

    id: int
    platform_id: str | None
    edit_waiting: bool


async def shown(session: AsyncSession, *, dedupe_key: str) -> Shown | None:
    """The message queued under ``dedupe_key``, as far as it was shown."""
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if row is None:
        return None
    waiting = await session.scalar(
        select(func.count()).where(
            OutboxMessage.edit_of == row.id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
        )
    )
    return Shown(row.id, row.platform_message_id, bool(waiting))


async def announcement_of(session: AsyncSession, *, message_id: int) -> int | None:
    """The announcement a delivery row belongs to, if any."""
    row = await session.get(OutboxMessage, message_id)
    return row.announcement_id if row is not None else None


async def retry_later(session: AsyncSession, *, message_id: int, not_before: datetime) -> None:
    """Count a failed attempt; try again from ``not_before``."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1,
            not_before=not_before,
            claimed_at=None,
            reserved_until=None,
            sender=None,
        )
    )


async def give_up(session: AsyncSession, *, message_id: int, reason: str) -> None:
    """Never try this message again (the recipient is gone, the platform refused it)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            failed=reason[:500],
            attempts=OutboxMessage.attempts + 1,
            text=SETTLED_TEXT,
        )
    )


async def give_up_chat(session: AsyncSession, *, chat: str, reason: str) -> None:
    """Stop every pending message to a chat (the person blocked the bot or left)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat == chat, OutboxMessage.sent_at.is_(None))
        .values(failed=reason[:500], text=SETTLED_TEXT)
    )


async def give_up_announcement(session: AsyncSession, *, announcement_id: int) -> int:
    """Drop an announcement's undelivered messages; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
        )
        .values(failed="cancelled")
    )
    return changed(result)
