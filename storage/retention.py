"""Retention: what klbot forgets once it is older than the configured periods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import changed
from storage.models import Feedback, OutboxMessage, ProcessedUpdate, UnansweredQuestion
from storage.models_web import WebLogin, WebSession
from storage.outbox import SETTLED_TEXT


async def _delete_older(
    session: AsyncSession, model: Any, before: datetime, *finished: ColumnElement[bool]
) -> int:
    """Delete the rows of ``model`` created before ``before`` (and ``finished``)."""
    result = await session.execute(
        delete(model)
        .where(model.created_at < before, *finished)
        .execution_options(synchronize_session=False)
    )
    return changed(result)


async def anonymise_feedback(session: AsyncSession, *, before: datetime) -> int:
    """Unlink feedback filed before ``before`` from its person (and withdraw the permission
    to contact, which is worthless without the person); returns how many were changed."""
    result = await session.execute(
        update(Feedback)
        .where(Feedback.created_at < before, Feedback.person_id.is_not(None))
        .values(person_id=None, may_contact=False)
        .execution_options(synchronize_session=False)
    )
    return changed(result)


async def delete_gap_log(session: AsyncSession, *, before: datetime) -> int:
    """Delete the unanswered questions logged before ``before``."""
    return await _delete_older(session, UnansweredQuestion, before)


async def delete_deliveries(session: AsyncSession, *, before: datetime) -> int:
    """Delete delivery rows created before ``before`` that are finished (sent or given up);
    a row still waiting to be sent stays until it is."""
    done = or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.failed.is_not(None))
    return await _delete_older(session, OutboxMessage, before, done)


async def expire_secrets(session: AsyncSession, *, before: datetime) -> int:
    """Give up the secret messages written before ``before`` and still unsent (a sign-in
    link that expired before it could be sent), keeping a placeholder instead of their
    text; sent ones lost their text when they were sent."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.secret.is_(True),
            OutboxMessage.created_at < before,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
        )
        .values(failed="expired", text=SETTLED_TEXT)
        .execution_options(synchronize_session=False)
    )
    return changed(result)


async def delete_processed_updates(session: AsyncSession, *, before: datetime) -> int:
    """Forget the keys of platform updates handled before ``before``."""
    return await _delete_older(session, ProcessedUpdate, before)


async def delete_web_sessions(session: AsyncSession, *, seen_before: datetime) -> int:
    """Delete the web console's sessions last seen at or before ``seen_before`` (ended by
    their idle time: the browser is signed out anyway)."""
    result = await session.execute(
        delete(WebSession)
        .where(WebSession.seen_at <= seen_before)
        .execution_options(synchronize_session=False)
    )
    return changed(result)


async def delete_web_logins(session: AsyncSession, *, now: datetime) -> int:
    """Delete the sign-in links that have expired by ``now``, used or not (a used link is
    kept until then, so opening it again says it was used)."""
    result = await session.execute(
        delete(WebLogin)
        .where(WebLogin.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return changed(result)
