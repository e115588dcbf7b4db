"""Messages klbot owes a chat: written in the same transaction as their cause, sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage, utcnow

Buttons = list[list[list[str]]]


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    chat: str
    text: str
    buttons: Buttons
    attempts: int
    attachment: tuple[str, str, bytes] | None = None
    """(file name, MIME type, content) of a file sent after the text."""


async def enqueue(
    session: AsyncSession,
    *,
    chat: str,
    text: str,
    buttons: Buttons | None = None,
    dedupe_key: str | None = None,
    announcement_id: int | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> bool:
    """Owe ``chat`` a message; with ``dedupe_key``, only once ever. True if queued."""
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
        attachment_type=attachment[1] if attachment else None,
        attachment=attachment[2] if attachment else None,
    )
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def take_pending(session: AsyncSession, *, chat: str) -> list[str]:
    """The unsent messages for ``chat``, oldest first, marked sent (commit after showing)."""
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
    now = utcnow()
    for row in rows:
        row.sent_at = now
    return [row.text for row in rows]


async def reserve(
    session: AsyncSession, *, platforms: list[str], until: datetime, limit: int = 100
) -> list[Due]:
    """Take the next messages due for chats on ``platforms`` into this sender's batch until
    ``until``; other senders skip them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has
    one writer at a time). Only the oldest unsent message of a chat is ever taken, so a
    chat's messages keep their order even when several senders share the outbox."""
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
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
            OutboxMessage.claimed_at.is_(None),
            or_(OutboxMessage.reserved_until.is_(None), OutboxMessage.reserved_until < now),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
            or_(*prefixes),
            ~waits_behind,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    table = OutboxMessage.__table__.c
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(reserved_until=until)
        .returning(
            table.id,
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
    rows = sorted(result.all(), key=lambda row: row.id)
    return [
        Due(
            r.id,
            r.chat,
            r.text,
            r.buttons or [],
            r.attempts,
            (r.attachment_name, r.attachment_type or "", r.attachment)
            if r.attachment is not None
            else None,
        )
        for r in rows
    ]


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


_TABLE = cast(Table, OutboxMessage.__table__)
_CLAIM = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("message_id"),
        _TABLE.c.claimed_at.is_(None),
        _TABLE.c.sent_at.is_(None),
    )
    .values(claimed_at=bindparam("now"))
)


async def claim(session: AsyncSession, *, message_id: int) -> bool:
    """Mark a message as being sent (commit before sending); False if someone else did."""
    connection = await session.connection()  # plain Core on the hot path: no ORM overhead
    result = await connection.execute(_CLAIM, {"message_id": message_id, "now": utcnow()})
    return bool(result.rowcount)


async def claim_many(session: AsyncSession, *, message_ids: list[int]) -> set[int]:
    """Claim several messages at once; returns those this sender got."""
    if not message_ids:
        return set()
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.claimed_at.is_(None),
            OutboxMessage.sent_at.is_(None),
        )
        .values(claimed_at=utcnow())
        .returning(OutboxMessage.id)
    )
    return set(result.scalars())


async def stale_claims(
    session: AsyncSession, *, platforms: list[str], before: datetime
) -> list[int]:
    """Messages claimed before ``before`` and never confirmed: their sender stopped mid-send."""
    prefixes = [OutboxMessage.chat.startswith(f"{platform}:") for platform in platforms]
    rows = await session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.claimed_at < before,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
            or_(*prefixes),
        )
    )
    return list(rows)


async def release(session: AsyncSession, *, message_ids: list[int]) -> None:
    """Let any sender take these again (unsent, or sent where the platform recognises a
    resend by its key)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(claimed_at=None, reserved_until=None)
    )


async def give_up_uncertain(session: AsyncSession, *, message_ids: list[int]) -> None:
    """Never resend these: the platform cannot tell a resend, and it may have arrived."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(failed="uncertain: klbot stopped while sending it")
    )


_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("message_id"))
    .values(sent_at=bindparam("sent_at"), platform_message_id=bindparam("platform_id"))
)
_MARK_SENT_AND_CLAIM = (
    update(_TABLE)
    .where(
        or_(
            _TABLE.c.id == bindparam("message_id"),
            and_(
                _TABLE.c.id == bindparam("next_id"),
                _TABLE.c.claimed_at.is_(None),
                _TABLE.c.sent_at.is_(None),
            ),
        )
    )
    .values(
        sent_at=case(
            (_TABLE.c.id == bindparam("message_id"), bindparam("now")), else_=_TABLE.c.sent_at
        ),
        platform_message_id=case(
            (_TABLE.c.id == bindparam("message_id"), bindparam("platform_id")),
            else_=_TABLE.c.platform_message_id,
        ),
        claimed_at=case(
            (_TABLE.c.id == bindparam("next_id"), bindparam("now")), else_=_TABLE.c.claimed_at
        ),
    )
    .returning(_TABLE.c.id)
)


async def mark_sent(
    session: AsyncSession,
    *,
    message_id: int,
    platform_id: str | None = None,
    claim_next: int | None = None,
) -> bool:
    """Record a message as delivered, with the platform's id for it; with ``claim_next``,
    the same statement claims that message (the hot path: one round trip per message).
    True if ``claim_next`` was claimed."""
    connection = await session.connection()
    if claim_next is None:
        values = {"message_id": message_id, "sent_at": utcnow(), "platform_id": platform_id}
        await connection.execute(_MARK_SENT, values)
        return False
    values = {
        "message_id": message_id,
        "next_id": claim_next,
        "now": utcnow(),
        "platform_id": platform_id,
    }
    changed = (await connection.execute(_MARK_SENT_AND_CLAIM, values)).scalars().all()
    return claim_next in changed


async def mark_sent_many(session: AsyncSession, *, sent: list[tuple[int, str | None]]) -> None:
    """Record several messages as delivered: (message id, the platform's id for it)."""
    now = utcnow()
    values = [{"message_id": i, "sent_at": now, "platform_id": p} for i, p in sent]
    await (await session.connection()).execute(_MARK_SENT, values)


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
        )
    )


async def give_up(session: AsyncSession, *, message_id: int, reason: str) -> None:
    """Never try this message again (the recipient is gone, the platform refused it)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(failed=reason[:500], attempts=OutboxMessage.attempts + 1)
    )


async def give_up_chat(session: AsyncSession, *, chat: str, reason: str) -> None:
    """Stop every pending message to a chat (the person blocked the bot or left)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat == chat, OutboxMessage.sent_at.is_(None))
        .values(failed=reason[:500])
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
    return int(result.rowcount)  # type: ignore[attr-defined]
