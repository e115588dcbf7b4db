"""Retention: what klbot forgets once it is older than the configured periods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feedback, OutboxMessage, ProcessedUpdate, UnansweredQuestion


def _count(result: Any) -> int:
    return int(result.rowcount)


async def anonymise_feedback(session: AsyncSession, *, before: datetime) -> int:
    """Unlink feedback filed before ``before`` from its person (and withdraw the permission
    to contact, which is worthless without the person); returns how many were changed."""
    result = await session.execute(
        update(Feedback)
        .where(Feedback.created_at < before, Feedback.person_id.is_not(None))
        .values(person_id=None, may_contact=False)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def delete_gap_log(session: AsyncSession, *, before: datetime) -> int:
    """Delete the unanswered questions logged before ``before``."""
    result = await session.execute(
        delete(UnansweredQuestion)
        .where(UnansweredQuestion.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def delete_deliveries(session: AsyncSession, *, before: datetime) -> int:
    """Delete delivery rows created before ``before`` that are finished (sent or given up);
    a row still waiting to be sent stays until it is."""
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.created_at < before,
            or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.failed.is_not(None)),
        )
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def delete_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Forget the keys of platform updates handled before ``before``."""
    result = await session.execute(
        delete(ProcessedUpdate)
        .where(ProcessedUpdate.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return _count(result)
