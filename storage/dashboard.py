"""Counts for the web console's charts: feedback, ratings, questions, announcements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Announcement,
    AnswerLog,
    Feedback,
    OutboxMessage,
    UnansweredQuestion,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class QuestionDay:
    """One day's questions: answered, unanswered, and the 👍/👎 given to the answers."""

    day: date
    answered: int = 0
    unanswered: int = 0
    helpful: int = 0
    rated: int = 0


@dataclass(frozen=True, slots=True)
class Broadcast:
    """An announcement that went out, and how much of it was delivered."""

    id: int
    text: str
    started_at: datetime | None
    recipients: int
    sent: int
    failed: int


def _day(value: object) -> date:
    """A day as either database returns ``date(…)`` (text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _offsets(zone: ZoneInfo, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """The UTC offset of ``zone`` in minutes at ``since``, and each change of it up to
    ``until``: (the moment it changes, the new offset)."""

    def offset(moment: datetime) -> int:
        shift = moment.astimezone(zone).utcoffset()
        return int(shift.total_seconds() // 60) if shift is not None else 0

    found, moment, step = [(since, offset(since))], since, timedelta(hours=12)
    while moment < until:
        later = moment + step
        if offset(later) != found[-1][1]:  # a change in between: find its minute
            low, high = moment, later
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (low, middle) if offset(middle) != found[-1][1] else (middle, high)
            found.append((high, offset(high)))
        moment = later
    return found


def _local_day(
    session: AsyncSession, moment: Any, zone: ZoneInfo, since: datetime
) -> ColumnElement[Any]:
    """The day in ``zone`` of the timestamp column ``moment``, for rows since ``since``:
    PostgreSQL knows the zones; SQLite is told the zone's offsets in that span."""
    if session.get_bind().dialect.name == "postgresql":
        name = literal(zone.key, literal_execute=True)  # the same in SELECT and GROUP BY
        return cast(func.timezone(name, moment), Date)
    first, *changes = _offsets(zone, since, utcnow() + timedelta(days=1))
    shift: Any = f"{first[1]:+d} minutes"
    if changes:
        later = ((moment >= start, f"{minutes:+d} minutes") for start, minutes in changes)
        shift = case(*reversed(list(later)), else_=shift)
    return func.date(moment, shift)


async def feedback_per_day(
    session: AsyncSession, *, since: datetime, zone: ZoneInfo
) -> list[tuple[date, str, int]]:
    """(day in ``zone``, topic, count) of feedback filed since ``since``."""
    day = _local_day(session, Feedback.created_at, zone, since)
    rows = await session.execute(
        select(day, Feedback.topic, func.count())
        .where(Feedback.created_at >= since)
        .group_by(day, Feedback.topic)
    )
    return [(_day(when), topic, count) for when, topic, count in rows]


async def ratings(session: AsyncSession, *, since: datetime) -> dict[int | None, int]:
    """How often each rating (``None``: none given) came with feedback since ``since``."""
    rows = await session.execute(
        select(Feedback.rating, func.count())
        .where(Feedback.created_at >= since)
        .group_by(Feedback.rating)
    )
    return {rating: count for rating, count in rows}


async def questions_per_day(
    session: AsyncSession, *, since: datetime, zone: ZoneInfo
) -> list[QuestionDay]:
    """Per day in ``zone`` since ``since``: answered and unanswered questions, 👍 and
    ratings."""
    answered_day = _local_day(session, AnswerLog.created_at, zone, since)
    helpful = func.sum(case((AnswerLog.helpful.is_(True), 1), else_=0))
    rated = func.sum(case((AnswerLog.helpful.is_not(None), 1), else_=0))
    answered = await session.execute(
        select(answered_day, func.count(), helpful, rated)
        .where(AnswerLog.created_at >= since)
        .group_by(answered_day)
    )
    days = {
        _day(when): QuestionDay(_day(when), count, 0, int(up or 0), int(votes or 0))
        for when, count, up, votes in answered
    }
    unanswered_day = _local_day(session, UnansweredQuestion.created_at, zone, since)
    missed = await session.execute(
        select(unanswered_day, func.count())
        .where(UnansweredQuestion.created_at >= since)
        .group_by(unanswered_day)
    )
    for when, count in missed:
        before = days.get(_day(when), QuestionDay(_day(when)))
        days[before.day] = QuestionDay(
            before.day, before.answered, count, before.helpful, before.rated
        )
    return sorted(days.values(), key=lambda found: found.day)


async def recent_broadcasts(session: AsyncSession, *, limit: int = 8) -> list[Broadcast]:
    """The announcements that started going out most recently, with their delivery."""
    started = list(
        await session.scalars(
            select(Announcement)
            .where(Announcement.started_at.is_not(None))
            .order_by(Announcement.started_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )
    if not started:
        return []
    sent = func.sum(case((OutboxMessage.sent_at.is_not(None), 1), else_=0))
    failed = func.sum(case((OutboxMessage.failed.is_not(None), 1), else_=0))
    rows = await session.execute(
        select(OutboxMessage.announcement_id, func.count(), sent, failed)
        .where(OutboxMessage.announcement_id.in_([a.id for a in started]))
        .group_by(OutboxMessage.announcement_id)
    )
    counts = {number: (total, int(ok or 0), int(bad or 0)) for number, total, ok, bad in rows}
    return [Broadcast(a.id, a.text_de, a.started_at, *counts.get(a.id, (0, 0, 0))) for a in started]
