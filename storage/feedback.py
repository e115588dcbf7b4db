"""Citizens' feedback: filing, reading, answering, statistics and export."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AnswerLog, Feedback, FeedbackAnswer, PersonIdentity

STATUSES = ("new", "read", "answered", "closed")
UNKNOWN_AUTHOR = "(unknown)"
"""The author of answers given before klbot kept who answered (migration 0014)."""
Chosen = TypeVar("Chosen")
"""A ``select(…)`` of any columns."""
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
    about_answer: int | None = None,
) -> Feedback:
    """File feedback under a fresh short reference (``F-7K3QX2``); ``about_answer``: the
    logged answer (``answers.id``) it says was missing something."""
    about_entry = (
        await session.scalar(select(AnswerLog.entry_id).where(AnswerLog.id == about_answer))
        if about_answer is not None
        else None
    )
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
            about_entry=about_entry,
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
    until: datetime | None = None,
    words: str = "",
    limit: int | None = 10,
    offset: int = 0,
) -> list[Feedback]:
    """Feedback matching the filters, newest first; ``words``: text that contains each of
    them (case does not matter); ``until``: filed before it."""
    query = _matching(select(Feedback), statuses, topic, rating, since, until, words).order_by(
        Feedback.created_at.desc(), Feedback.id.desc()
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(await session.scalars(query))


async def count(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    words: str = "",
) -> int:
    """How much feedback :func:`search` finds with these filters and no limit."""
    query = _matching(
        select(func.count()).select_from(Feedback), statuses, topic, rating, since, until, words
    )
    return await session.scalar(query) or 0


async def page(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    topic: str | None = None,
    rating: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    words: str = "",
    size: int = 25,
    number: int = 1,
) -> tuple[int, int, list[Feedback]]:
    """One page of :func:`search`'s results (``size`` per page, ``number`` from 1, moved
    to the last page if beyond it): (how many match, the page's number, its rows)."""
    filters = (statuses, topic, rating, since, until, words)
    if not words:  # count, then the page's ids from the index alone, then its rows
        total = await session.scalar(
            _matching(select(func.count()).select_from(Feedback), *filters)
        )
        total = total or 0
        number = max(1, min(number, -(-total // size)))
        query = _matching(select(Feedback.id), *filters).order_by(
            Feedback.created_at.desc(), Feedback.id.desc()
        )
        ids = list(await session.scalars(query.limit(size).offset((number - 1) * size)))
    else:  # text search reads every row once: the matches' ids, sorted here
        matching = _matching(select(Feedback.id, Feedback.created_at), *filters)
        found = sorted(await session.execute(matching), key=lambda m: (m[1], m[0]), reverse=True)
        total = len(found)
        number = max(1, min(number, -(-total // size)))
        ids = [match[0] for match in found[(number - 1) * size : number * size]]
    rows = await session.scalars(
        select(Feedback)
        .where(Feedback.id.in_(ids))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    )
    return total, number, list(rows)


def _matching(
    chosen: Chosen,
    statuses: Sequence[str],
    topic: str | None,
    rating: int | None,
    since: datetime | None,
    until: datetime | None,
    words: str,
) -> Chosen:
    query = cast(Select[Any], chosen)
    if statuses:
        query = query.where(Feedback.status.in_(statuses))
    if topic:
        query = query.where(Feedback.topic == topic)
    if rating is not None:
        query = query.where(Feedback.rating == rating)
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    if until is not None:
        query = query.where(Feedback.created_at < until)
    for word in words.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Feedback.text.ilike(f"%{escaped}%", escape="\\"))
    return cast(Chosen, query)


def set_status(feedback: Feedback, status: str) -> None:
    """Move feedback on (new → read → answered → closed); never backwards."""
    if STATUSES.index(status) > STATUSES.index(feedback.status):
        feedback.status = status


async def reopen(session: AsyncSession, feedback: Feedback) -> None:
    """Take closed feedback back: answered if it has an answer, read otherwise."""
    answered = await session.scalar(
        select(func.count()).where(FeedbackAnswer.feedback_id == feedback.id)
    )
    feedback.status = "answered" if answered else "read"


async def add_answer(
    session: AsyncSession, feedback: Feedback, *, text: str, author: str
) -> FeedbackAnswer:
    """Keep one more answer in the feedback's history and mark it answered."""
    row = FeedbackAnswer(feedback_id=feedback.id, text=text, author=author)
    session.add(row)
    await session.flush()
    set_status(feedback, "answered")
    return row


async def answers_to(
    session: AsyncSession, feedback_ids: Sequence[int]
) -> dict[int, list[FeedbackAnswer]]:
    """The answers to each of ``feedback_ids``, oldest first (an empty list if none)."""
    found: dict[int, list[FeedbackAnswer]] = {feedback_id: [] for feedback_id in feedback_ids}
    for start in range(0, len(feedback_ids), 500):  # within every database's parameter limit
        query = (
            select(FeedbackAnswer)
            .where(FeedbackAnswer.feedback_id.in_(feedback_ids[start : start + 500]))
            .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
        )
        for row in await session.scalars(query):
            found[row.feedback_id].append(row)
    return found


async def set_contact(
    session: AsyncSession, *, reference: str, person_id: int, allowed: bool
) -> Feedback | None:
    """Record whether the person who filed ``reference`` may be contacted about it;
    ``None`` if it is not (or no longer) theirs."""
    row = await find(session, reference=reference)
    if row is None or row.person_id != person_id:
        return None
    row.may_contact = allowed
    return row


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
