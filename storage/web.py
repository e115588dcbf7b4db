"""The web console's logins and sessions; tokens are kept only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import utcnow
from storage.models_web import WebLogin, WebSession


class LinkProblem(StrEnum):
    """Why a login link does not sign anyone in."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_login(session: AsyncSession, *, identity: str, valid_for: timedelta) -> str:
    """A fresh one-time login token for ``identity``, valid for ``valid_for``."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + valid_for
    session.add(WebLogin(token_hash=_hash(token), identity=identity, expires_at=expires))
    return token


async def check_login(session: AsyncSession, *, token: str, use: bool = False) -> str | LinkProblem:
    """The identity a login token signs in, or why it does not; ``use`` spends it."""
    login = await session.get(WebLogin, _hash(token), with_for_update=use)
    if login is None:
        return LinkProblem.UNKNOWN
    if login.used_at is not None:
        return LinkProblem.USED
    if login.expires_at <= utcnow():
        return LinkProblem.EXPIRED
    if use:
        login.used_at = utcnow()
    return login.identity


async def open_session(session: AsyncSession, *, identity: str) -> tuple[str, WebSession]:
    """A new signed-in session: the cookie's token and the stored row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_hash(token), identity=identity, csrf=secrets.token_urlsafe(32), seen_at=utcnow()
    )
    session.add(row)
    return token, row


async def current_session(
    session: AsyncSession, *, token: str, idle: timedelta, now: datetime | None = None
) -> WebSession | None:
    """The session of a cookie's token, seen now; ``None`` (and ended) after ``idle``."""
    now = now or utcnow()
    row = await session.get(WebSession, _hash(token))
    if row is None:
        return None
    if row.seen_at <= now - idle:
        await session.delete(row)
        return None
    if row.seen_at <= now - timedelta(minutes=1):  # write at most once a minute
        row.seen_at = now
    return row


async def end_session(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


async def sessions_of(session: AsyncSession, *, identity: str) -> list[WebSession]:
    rows = await session.scalars(select(WebSession).where(WebSession.identity == identity))
    return list(rows)
