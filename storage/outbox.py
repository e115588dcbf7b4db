"""Messages klbot owes a chat: written in the same transaction as their cause, sent once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, utcnow


async def enqueue(
    session: AsyncSession, *, chat: str, text: str, dedupe_key: str | None = None
) -> bool:
    """Owe ``chat`` a message; with ``dedupe_key``, only once ever. True if queued."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).values(
        chat=chat, text=text, dedupe_key=dedupe_key, created_at=utcnow()
    )
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def take_pending(session: AsyncSession, *, chat: str) -> list[str]:
    """The unsent messages for ``chat``, oldest first, marked sent (commit after showing)."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat == chat, OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
        )
    )
    now = utcnow()
    for row in rows:
        row.sent_at = now
    return [row.text for row in rows]
