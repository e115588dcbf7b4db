"""Who asked for which news: one row per chat and topic."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import Person, Subscription

ALL = "all"


async def subscribe(
    session: AsyncSession, *, chat: str, person_id: int, topic: str, language: str
) -> bool:
    """Subscribe ``chat`` to ``topic``; False if it already was."""
    existing = await session.scalar(
        select(Subscription).where(Subscription.chat == chat, Subscription.topic == topic)
    )
    if existing is not None:
        existing.language = language
        return False
    session.add(Subscription(chat=chat, person_id=person_id, topic=topic, language=language))
    return True


async def unsubscribe(session: AsyncSession, *, chat: str, topic: str | None = None) -> int:
    """Remove one topic (or, with ``None``, every topic) of a chat; returns how many."""
    query = delete(Subscription).where(Subscription.chat == chat)
    if topic is not None:
        query = query.where(Subscription.topic == topic)
    result = await session.execute(query)
    return changed(result)


async def topics_of(session: AsyncSession, *, chat: str) -> list[str]:
    rows = await session.scalars(
        select(Subscription.topic).where(Subscription.chat == chat).order_by(Subscription.topic)
    )
    return list(rows)


async def recipients(session: AsyncSession, *, topic: str | None) -> dict[str, str]:
    """Chat → language of everyone subscribed to ``topic`` or to all news
    (``None``: everyone subscribed to anything): the language the person chose, else the
    one they last wrote in, else the one they subscribed in."""
    language = func.coalesce(Person.language, Person.spoken_language, Subscription.language)
    query = (
        select(Subscription.chat, language)
        .join(Person, Person.id == Subscription.person_id)
        .order_by(Subscription.id)
    )
    if topic is not None:
        query = query.where(Subscription.topic.in_([topic, ALL]))
    return {chat: language for chat, language in await session.execute(query)}
