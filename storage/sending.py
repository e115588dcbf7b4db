"""Sending the outbox: claiming a message before it goes out, recording that it went,
and finding messages a stopped sender left in flight. The hot path: plain Core statements
built once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import OutboxMessage, UTCDateTime, utcnow
from storage.outbox import SETTLED_TEXT

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
    .values(claimed_at=bindparam("now", type_=UTCDateTime()), sender=bindparam("sender"))
)


async def claim(session: AsyncSession, *, message_id: int, sender: str | None = None) -> bool:
    """Mark a message as being sent by ``sender`` (commit before sending); False if someone
    else did."""
    connection = await session.connection()  # plain Core on the hot path: no ORM overhead
    values = {"message_id": message_id, "now": utcnow(), "sender": sender}
    result = await connection.execute(_CLAIM, values)
    return bool(changed(result))


_CLAIM_MANY = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("message_ids", expanding=True)), _CLAIMABLE)
    .values(claimed_at=bindparam("now", type_=UTCDateTime()), sender=bindparam("sender"))
    .returning(_TABLE.c.id)
)


async def claim_many(
    session: AsyncSession, *, message_ids: list[int], sender: str | None = None
) -> set[int]:
    """Claim several messages at once; returns those this sender got."""
    if not message_ids:
        return set()
    values = {"message_ids": message_ids, "now": utcnow(), "sender": sender}
    result = await (await session.connection()).execute(_CLAIM_MANY, values)
    return set(result.scalars())


@dataclass(frozen=True, slots=True)
class InFlight:
    """A message a stopped sender claimed and never confirmed."""

    id: int
    chat: str


async def take_over(session: AsyncSession, *, senders: list[str]) -> list[InFlight]:
    """The batches of ``senders`` (stopped): their reserved messages are free for anyone at
    once; returns the messages they were sending, for the caller to settle."""
    if not senders:
        return []
    pending = and_(
        OutboxMessage.sender.in_(senders),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed.is_(None),
    )
    await session.execute(
        update(OutboxMessage)
        .where(pending, OutboxMessage.claimed_at.is_(None))
        .values(reserved_until=None, sender=None)
    )
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat).where(
            pending, OutboxMessage.claimed_at.is_not(None)
        )
    )
    return [InFlight(id, chat) for id, chat in rows.all()]


async def stale_claims(
    session: AsyncSession, *, platforms: list[str], before: datetime
) -> list[InFlight]:
    """Messages claimed before ``before`` by no named sender and never confirmed: their
    sender stopped mid-send."""
    if not platforms:
        return []
    prefixes = [OutboxMessage.chat.startswith(f"{platform}:") for platform in platforms]
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.chat).where(
            OutboxMessage.claimed_at < before,
            OutboxMessage.sender.is_(None),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
            or_(*prefixes),
        )
    )
    return [InFlight(id, chat) for id, chat in rows.all()]


async def release(session: AsyncSession, *, message_ids: list[int]) -> None:
    """Let any sender take these again (unsent, or sent where the platform recognises a
    resend by its key)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(claimed_at=None, reserved_until=None, sender=None)
    )


UNCERTAIN = "uncertain: klbot stopped while sending it"
"""Why a message in doubt was given up (counted apart from undeliverable ones)."""


async def give_up_uncertain(session: AsyncSession, *, message_ids: list[int]) -> None:
    """Never resend these: the platform cannot tell a resend, and it may have arrived."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(failed=UNCERTAIN, text=SETTLED_TEXT)
    )


_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("message_id"))
    .values(
        sent_at=bindparam("now", type_=UTCDateTime()),
        platform_message_id=bindparam("platform_id"),
        attachment=None,
        failed=None,  # it arrived, even if a takeover had given it up as uncertain
        text=SETTLED_TEXT,
    )
)
"""Sent files and secrets are not kept: a person's data export lives in the outbox only
until sent, a sign-in link is replaced by a placeholder."""


async def mark_sent_many(session: AsyncSession, *, sent: list[tuple[int, str | None]]) -> None:
    """Record several messages as delivered: (message id, the platform's id for it)."""
    if not sent:
        return
    now = utcnow()
    values = [{"message_id": i, "now": now, "platform_id": p} for i, p in sent]
    await (await session.connection()).execute(_MARK_SENT, values)
