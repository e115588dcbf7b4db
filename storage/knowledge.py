"""Knowledge-base versions, the answers klbot gave and the questions it could not answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed, storable
from storage.models import (
    AnswerLog,
    KnowledgeVectors,
    KnowledgeVersion,
    TaughtQuestion,
    UnansweredQuestion,
)

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
    ref: int = 0
    """The id of one logged question of this gap (for teaching it to an entry)."""


@dataclass(frozen=True, slots=True)
class Taught:
    id: int
    question: str
    normalised: str
    entry_id: str
    model: str | None
    vector: bytes | None
    created_at: datetime


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


async def get_vectors(session: AsyncSession, *, version_id: int, model: str) -> bytes | None:
    """The stored vectors of a version's passages, if computed with ``model``."""
    row = await session.get(KnowledgeVectors, version_id)
    return row.vectors if row is not None and row.model == model else None


async def put_vectors(
    session: AsyncSession, *, version_id: int, model: str, rows: int, vectors: bytes
) -> None:
    """Store a version's vectors; another process storing them first is fine."""
    try:
        async with session.begin_nested():
            row = await session.get(KnowledgeVectors, version_id)
            if row is None:
                session.add(
                    KnowledgeVectors(version_id=version_id, model=model, rows=rows, vectors=vectors)
                )
            else:
                row.model, row.rows, row.vectors = model, rows, vectors
    except IntegrityError:
        pass


async def teach(
    session: AsyncSession,
    *,
    question: str,
    normalised: str,
    entry_id: str,
    model: str | None,
    vector: bytes | None,
) -> int:
    """Attach a question to the entry that answers it; returns the taught question's id."""
    row = TaughtQuestion(
        question=question[:MAX_LOGGED_QUESTION],
        normalised=normalised[:500],
        entry_id=entry_id,
        model=model,
        vector=vector,
    )
    session.add(row)
    await session.flush()
    return row.id


async def taught(session: AsyncSession) -> list[Taught]:
    """Every taught question, oldest first."""
    rows = await session.scalars(select(TaughtQuestion).order_by(TaughtQuestion.id))
    return [
        Taught(r.id, r.question, r.normalised, r.entry_id, r.model, r.vector, _aware(r.created_at))
        for r in rows
    ]


async def taught_revision(session: AsyncSession) -> tuple[int, int]:
    """Changes whenever a question is taught or forgotten: (count, highest id)."""
    count, highest = (
        await session.execute(select(func.count(), func.max(TaughtQuestion.id)))
    ).one()
    return int(count), int(highest or 0)


async def set_taught_vector(
    session: AsyncSession, *, taught_id: int, model: str, vector: bytes
) -> None:
    row = await session.get(TaughtQuestion, taught_id)
    if row is not None:
        row.model, row.vector = model, vector


async def forget(session: AsyncSession, *, taught_id: int) -> bool:
    """Remove a taught question; False if there is none with that id."""
    if not storable(taught_id):
        return False
    result = await session.execute(delete(TaughtQuestion).where(TaughtQuestion.id == taught_id))
    return changed(result) > 0


async def unanswered(session: AsyncSession, *, question_id: int) -> str | None:
    """The text of one logged unanswered question."""
    if not storable(question_id):
        return None
    row = await session.get(UnansweredQuestion, question_id)
    return row.text if row is not None else None


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
            func.min(UnansweredQuestion.id),
        )
        .where(UnansweredQuestion.created_at >= since)
        .group_by(UnansweredQuestion.normalised)
        .order_by(func.count().desc(), func.max(UnansweredQuestion.created_at).desc())
        .limit(limit)
    )
    return [Gap(text, count, _aware(last), ref) for text, count, last, ref in rows]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
