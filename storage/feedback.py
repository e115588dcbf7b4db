"""Citizens' feedback: filing, reading, answering, statistics and export."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feedback, PersonIdentity, utcnow

STATUSES = ("new", "read", "answered", "closed")
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True, slots=True)
class TopicStats:
    topic: str
    count: int
    average_rating: float | None


def _reference() -> str:
    return "F-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


async def add_feedback(
    session: AsyncSession,
    *,
    person_id: int,
    platform: str,
    topic: str,
    rating: int | None,
    text: str,
    language: str,
    may_contact: bool,
) -> Feedback:
    """File feedback under a fresh short reference (``F-7K3QX2``)."""
    for _ in range(10):
        row = Feedback(
            reference=_reference(),
            person_id=person_id,
            platform=platform,
            topic=topic,
            rating=rating,
            text=text,
            language=language,
            may_contact=may_contact,
            status="new",
        )
        try:
            async with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free feedback reference")


async def count_since(session: AsyncSession, *, person_id: int, since: datetime) -> int:
    """How much feedback a person filed since ``since`` (for the per-person limit)."""
    query = select(func.count()).where(
        Feedback.person_id == person_id, Feedback.created_at >= since
    )
    return await session.scalar(query) or 0


async def find(session: AsyncSession, *, reference: str) -> Feedback | None:
    return await session.scalar(select(Feedback).where(Feedback.reference == reference.upper()))


async def search(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    limit: int | None = 10,
) -> list[Feedback]:
    """Feedback matching the filters, newest first."""
    query = select(Feedback).order_by(Feedback.created_at.desc(), Feedback.id.desc())
    if statuses:
        query = query.where(Feedback.status.in_(statuses))
    if topic:
        query = query.where(Feedback.topic == topic)
    if rating is not None:
        query = query.where(Feedback.rating == rating)
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


def set_status(feedback: Feedback, status: str) -> None:
    """Move feedback on (new → read → answered → closed); never backwards."""
    if STATUSES.index(status) > STATUSES.index(feedback.status):
        feedback.status = status


def record_answer(feedback: Feedback, answer: str) -> None:
    feedback.answer = answer
    feedback.answered_at = utcnow()
    set_status(feedback, "answered")


async def identities_of(session: AsyncSession, *, person_id: int) -> list[str]:
    """The platform identities of a person (to deliver an answer to them)."""
    query = select(PersonIdentity.identity).where(PersonIdentity.person_id == person_id)
    return list(await session.scalars(query))


async def stats(session: AsyncSession, *, since: datetime) -> list[TopicStats]:
    """Count and average rating per topic since ``since``, most feedback first."""
    rows = await session.execute(
        select(Feedback.topic, func.count(), func.avg(Feedback.rating))
        .where(Feedback.created_at >= since)
        .group_by(Feedback.topic)
        .order_by(func.count().desc(), Feedback.topic)
    )
    return [
        TopicStats(topic, count, float(avg) if avg is not None else None)
        for topic, count, avg in rows
    ]
