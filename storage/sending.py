"""Sending the outbox: claiming a message before it goes out, recording that it went,
and finding messages a stopped sender left in flight. The hot path: plain Core statements
built once."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import OutboxMessage, UTCDateTime, utcnow

_TABLE = cast(Table, OutboxMessage.__table__)
_CLAIMABLE = and_(
    _TABLE.c.claimed_at.is_(None),
    _TABLE.c.sent_at.is_(None),
    _TABLE.c.failed.is_(None),  # cancelled, or its chat gone, since it was reserved
)
"""A message nobody sends yet, that is neither sent nor given up."""
_CLAIM = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("message_id"), _CLAIMABLE)
    .values(claimed_at=bindparam("now", type_=UTCDateTime()))
)


async def claim(session: AsyncSession, *, message_id: int) -> bool:
    """Mark a message as being sent (commit before sending); False if someone else did."""
    connection = await session.connection()  # plain Core on the hot path: no ORM overhead
    result = await connection.execute(_CLAIM, {"message_id": message_id, "now": utcnow()})
    return bool(changed(result))


async def claim_many(session: AsyncSession, *, message_ids: list[int]) -> set[int]:
    """Claim several messages at once; returns those this sender got."""
    if not message_ids:
        return set()
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), _CLAIMABLE)
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


_NOW = bindparam("now", type_=UTCDateTime())
_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("message_id"))
    .values(sent_at=_NOW, platform_message_id=bindparam("platform_id"), attachment=None)
)
_MARK_SENT_AND_CLAIM = (
    update(_TABLE)
    .where(
        or_(
            _TABLE.c.id == bindparam("message_id"),
            and_(_TABLE.c.id == bindparam("next_id"), _CLAIMABLE),
        )
    )
    .values(
        sent_at=case((_TABLE.c.id == bindparam("message_id"), _NOW), else_=_TABLE.c.sent_at),
        platform_message_id=case(
            (_TABLE.c.id == bindparam("message_id"), bindparam("platform_id")),
            else_=_TABLE.c.platform_message_id,
        ),
        attachment=case((_TABLE.c.id == bindparam("message_id"), None), else_=_TABLE.c.attachment),
        claimed_at=case((_TABLE.c.id == bindparam("next_id"), _NOW), else_=_TABLE.c.claimed_at),
    )
    .returning(_TABLE.c.id)
)
"""Sent files are not kept: a person's data export lives in the outbox only until sent."""


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
        values = {"message_id": message_id, "now": utcnow(), "platform_id": platform_id}
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
    values = [{"message_id": i, "now": now, "platform_id": p} for i, p in sent]
    await (await session.connection()).execute(_MARK_SENT, values)
