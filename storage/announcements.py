"""Announcements and the state of their delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import storable
from storage.models import Announcement, OutboxMessage, utcnow
from storage.sending import UNCERTAIN


@dataclass(frozen=True, slots=True)
class Progress:
    recipients: int
    sent: int
    failed: int
    """Given up: undeliverable, cancelled, or uncertain."""
    uncertain: int = 0
    """Given up because klbot stopped while sending them on a platform that cannot tell a
    resend: they may have arrived or not, and are never sent twice."""

    @property
    def pending(self) -> int:
        return self.recipients - self.sent - self.failed


async def create(
    session: AsyncSession,
    *,
    author: str,
    author_identity: str,
    audience: str,
    text_de: str,
    text_en: str | None,
    send_at: datetime | None = None,
    cron: str | None = None,
) -> Announcement:
    """A new announcement by ``author_identity``, reporting to the chat ``author``."""
    row = Announcement(
        author=author,
        author_identity=author_identity,
        audience=audience,
        text_de=text_de,
        text_en=text_en,
        send_at=send_at,
        cron=cron,
        status="scheduled",
        runs=0,
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, *, announcement_id: int) -> Announcement | None:
    """The announcement with this number, if there is one."""
    if not storable(announcement_id):
        return None
    return await session.get(Announcement, announcement_id)


async def pending(session: AsyncSession) -> list[Announcement]:
    """Announcements not sent yet (scheduled, recurring or being delivered)."""
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.status.in_(["approval", "scheduled", "sending"]))
        .order_by(Announcement.send_at.is_(None), Announcement.send_at, Announcement.id)
    )
    return list(rows)


async def sending(session: AsyncSession) -> list[Announcement]:
    rows = await session.scalars(select(Announcement).where(Announcement.status == "sending"))
    return list(rows)


async def progress(session: AsyncSession, *, announcement_id: int) -> Progress:
    """How many recipients the announcement has, and how many were sent or given up."""
    sent = func.sum(case((OutboxMessage.sent_at.is_not(None), 1), else_=0))
    failed = func.sum(case((OutboxMessage.failed.is_not(None), 1), else_=0))
    uncertain = func.sum(case((OutboxMessage.failed == UNCERTAIN, 1), else_=0))
    row = (
        await session.execute(
            select(func.count(), sent, failed, uncertain).where(
                OutboxMessage.announcement_id == announcement_id
            )
        )
    ).one()
    return Progress(int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))


async def undelivered_on(
    session: AsyncSession, *, announcement_id: int, platforms: set[str]
) -> int:
    """How many of the announcement's messages to chats on ``platforms`` are still owed."""
    if not platforms:
        return 0
    count = await session.scalar(
        select(func.count()).where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed.is_(None),
            or_(*(OutboxMessage.chat.startswith(f"{platform}:") for platform in platforms)),
        )
    )
    return int(count or 0)


def finish(announcement: Announcement) -> None:
    """A one-off announcement is done; a recurring one waits for its next run."""
    announcement.status = "scheduled" if announcement.cron else "done"
    announcement.finished_at = utcnow()
