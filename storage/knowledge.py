"""Knowledge-base versions, the answers klbot gave and the questions it could not answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AnswerLog, KnowledgeVersion, UnansweredQuestion

MAX_LOGGED_QUESTION = 1000


@dataclass(frozen=True, slots=True)
class StoredVersion:
    id: int
    source: str
    content: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class Gap:
    question: str
    count: int
    last_asked: datetime


@dataclass(frozen=True, slots=True)
class Rating:
    entry_id: str
    answers: int
    helpful: int
    unhelpful: int


async def latest_version_id(session: AsyncSession) -> int | None:
    """The id of the knowledge base klbot should answer from, if any was imported."""
    return await session.scalar(select(func.max(KnowledgeVersion.id)))


async def get_version(session: AsyncSession, *, version_id: int) -> StoredVersion:
    row = await session.get_one(KnowledgeVersion, version_id)
    return StoredVersion(row.id, row.source, row.content, row.imported_at)


async def add_version(session: AsyncSession, *, source: str, content: str) -> int:
    """Store a validated knowledge-base file as the newest version; returns its id."""
    row = KnowledgeVersion(source=source[:500], content=content)
    session.add(row)
    await session.flush()
    return row.id


async def log_answer(session: AsyncSession, *, entry_id: str, language: str) -> int:
    """Record that an entry was given as an answer; returns the id used for rating it."""
    row = AnswerLog(entry_id=entry_id, language=language)
    session.add(row)
    await session.flush()
    return row.id


async def rate_answer(session: AsyncSession, *, answer_id: int, helpful: bool) -> bool:
    """Store a 👍/👎 for an answer (a later vote replaces an earlier one); False if unknown."""
    row = await session.get(AnswerLog, answer_id)
    if row is None:
        return False
    row.helpful = helpful
    return True


async def ratings(session: AsyncSession, *, since: datetime) -> list[Rating]:
    """Per entry: answers given since ``since`` and their 👍/👎 counts, most asked first."""
    helpful = func.sum(case((AnswerLog.helpful.is_(True), 1), else_=0))
    unhelpful = func.sum(case((AnswerLog.helpful.is_(False), 1), else_=0))
    rows = await session.execute(
        select(AnswerLog.entry_id, func.count(), helpful, unhelpful)
        .where(AnswerLog.created_at >= since)
        .group_by(AnswerLog.entry_id)
        .order_by(func.count().desc(), AnswerLog.entry_id)
    )
    return [Rating(entry, count, int(up or 0), int(down or 0)) for entry, count, up, down in rows]


async def log_unanswered(
    session: AsyncSession, *, text: str, normalised: str, language: str
) -> None:
    """Keep a question klbot could not answer (no identity is stored)."""
    session.add(
        UnansweredQuestion(
            text=text[:MAX_LOGGED_QUESTION], normalised=normalised[:500], language=language
        )
    )


async def gaps(session: AsyncSession, *, since: datetime, limit: int = 10) -> list[Gap]:
    """The most frequent unanswered questions since ``since``."""
    rows = await session.execute(
        select(
            func.min(UnansweredQuestion.text),
            func.count(),
            func.max(UnansweredQuestion.created_at),
        )
        .where(UnansweredQuestion.created_at >= since)
        .group_by(UnansweredQuestion.normalised)
        .order_by(func.count().desc(), func.max(UnansweredQuestion.created_at).desc())
        .limit(limit)
    )
    return [Gap(text, count, _aware(last)) for text, count, last in rows]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
