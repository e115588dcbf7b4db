"""What the scheduler does for announcements: write a due run's rows, skip a missed run,
report finished announcements to their authors and plan those filed in chat."""

from __future__ import annotations

from datetime import datetime

from bot.runtime.config import Config
from bot.runtime.scheduler import Scheduler
from handlers.announcements import broadcast
from storage import Sessions, announcements


async def fire(sessions: Sessions, config: Config, announcement_id: int, at: datetime) -> bool:
    """Write the delivery rows of the run due ``at``; False if the announcement is no
    longer to be sent (cancelled, finished)."""
    async with sessions() as session, session.begin():
        row = await announcements.get(session, announcement_id=announcement_id)
        if row is None or row.status not in ("scheduled", "sending"):
            return False
        await broadcast.fire(session, row, config, run=f"{at:%Y-%m-%dT%H:%M}")
    return True


async def missed(sessions: Sessions, config: Config, announcement_id: int) -> None:
    """Missed by more than the grace time: skip the run and tell the author."""
    async with sessions() as session, session.begin():
        row = await announcements.get(session, announcement_id=announcement_id)
        if row is not None:
            await broadcast.skipped(session, row, config)


async def report_and_plan(sessions: Sessions, config: Config, scheduler: Scheduler | None) -> None:
    """Report finished announcements; give ``scheduler`` those filed or changed in chat
    whose time or schedule it does not hold yet."""
    async with sessions() as session, session.begin():
        await broadcast.finish_delivered(session, config)
        waiting = await announcements.pending(session)
    if scheduler is None:
        return
    for row in waiting:
        if row.status == "scheduled" and (row.send_at or row.cron):
            scheduler.announcement(row.id, at=row.send_at, crontab=row.cron, unless_held=True)
