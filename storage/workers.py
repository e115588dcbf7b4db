"""The running senders: each one says every few seconds that it is alive."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Worker, utcnow


async def heartbeat(session: AsyncSession, *, name: str, platforms: list[str]) -> None:
    """Record that worker ``name`` is alive and sends to ``platforms``."""
    row = await session.get(Worker, name)
    if row is None:
        session.add(Worker(name=name, platforms=",".join(platforms)))
    else:
        row.seen_at = utcnow()


async def alive(session: AsyncSession, *, since: datetime) -> Counter[str]:
    """How many workers seen after ``since`` send to each platform."""
    counts: Counter[str] = Counter()
    for platforms in await session.scalars(select(Worker.platforms).where(Worker.seen_at > since)):
        counts.update(p for p in platforms.split(",") if p)
    return counts


async def leave(session: AsyncSession, *, name: str, before: datetime | None = None) -> None:
    """Forget worker ``name`` (it stops), and any worker not seen since ``before``."""
    await session.execute(delete(Worker).where(Worker.name == name))
    if before is not None:
        await session.execute(delete(Worker).where(Worker.seen_at < before))


async def silent(session: AsyncSession, *, since: datetime) -> list[str]:
    """The workers not heard from since ``since``: they stopped or were killed."""
    return list(await session.scalars(select(Worker.name).where(Worker.seen_at <= since)))


async def forget(session: AsyncSession, *, names: list[str]) -> None:
    """Forget these workers (their work was taken over)."""
    if names:
        await session.execute(delete(Worker).where(Worker.name.in_(names)))


async def not_yet_counting(
    session: AsyncSession, *, name: str, since: datetime, alive_since: datetime
) -> int:
    """How many other live workers (seen after ``alive_since``) have not beaten since
    ``since``: they have not counted worker ``name`` yet."""
    count = await session.scalar(
        select(func.count())
        .select_from(Worker)
        .where(Worker.name != name, Worker.seen_at > alive_since, Worker.seen_at <= since)
    )
    return count or 0
