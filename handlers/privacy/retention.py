"""The retention job: forgets what is older than the periods in ``[privacy]``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.runtime.config import Config
from handlers.web.service import LINK_VALID, SESSION_IDLE
from storage import Sessions, retention

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What one run of the retention job changed."""

    feedback_anonymised: int
    gap_questions_deleted: int
    deliveries_deleted: int
    processed_updates_deleted: int
    web_sessions_deleted: int
    web_links_deleted: int
    secrets_expired: int


async def apply_retention(
    sessions: Sessions, config: Config, now: datetime | None = None
) -> Forgotten:
    """Anonymise old feedback, delete old unanswered questions, finished delivery rows and
    handled-update keys, each after its configured number of days, and the web console's
    ended sessions and expired sign-in links (also those never sent); one transaction."""
    now = now or datetime.now(UTC)
    periods = config.privacy

    def cutoff(days: int) -> datetime:
        return now - timedelta(days=days)

    async with sessions() as session, session.begin():
        forgotten = Forgotten(
            feedback_anonymised=await retention.anonymise_feedback(
                session, before=cutoff(periods.feedback_anonymise_days)
            ),
            gap_questions_deleted=await retention.delete_gap_log(
                session, before=cutoff(periods.gap_log_days)
            ),
            deliveries_deleted=await retention.delete_deliveries(
                session, before=cutoff(periods.delivery_days)
            ),
            processed_updates_deleted=await retention.delete_processed_updates(
                session, before=cutoff(periods.processed_update_days)
            ),
            web_sessions_deleted=await retention.delete_web_sessions(
                session, seen_before=now - SESSION_IDLE
            ),
            web_links_deleted=await retention.delete_web_logins(session, now=now),
            secrets_expired=await retention.expire_secrets(session, before=now - LINK_VALID),
        )
    log.info(
        "retention: %d feedback anonymised, %d unanswered questions, %d deliveries and "
        "%d update keys deleted; %d web sessions and %d sign-in links deleted, %d links "
        "expired unsent",
        forgotten.feedback_anonymised,
        forgotten.gap_questions_deleted,
        forgotten.deliveries_deleted,
        forgotten.processed_updates_deleted,
        forgotten.web_sessions_deleted,
        forgotten.web_links_deleted,
        forgotten.secrets_expired,
    )
    return forgotten
