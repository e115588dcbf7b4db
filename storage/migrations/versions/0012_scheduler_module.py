"""stored announcement jobs call the scheduler in its new module

The scheduler moved from ``bot.scheduler`` to ``bot.runtime.scheduler``; APScheduler
stores the function of each job by that name (pickled) and would drop a job whose
function it cannot find.

Revision ID: 0012
Revises: 0011
"""

import pickle
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "bot.scheduler:fire_announcement"
NEW = "bot.runtime.scheduler:fire_announcement"
JOBS = sa.table(
    "scheduled_jobs", sa.column("id", sa.String), sa.column("job_state", sa.LargeBinary)
)


def repoint(old: str, new: str) -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("scheduled_jobs"):
        return  # the scheduler never ran on this database
    for job_id, state in bind.execute(sa.select(JOBS.c.id, JOBS.c.job_state)).all():
        job = pickle.loads(state)
        if job.get("func") == old:
            job["func"] = new
            changed = pickle.dumps(job, pickle.HIGHEST_PROTOCOL)
            bind.execute(JOBS.update().where(JOBS.c.id == job_id).values(job_state=changed))


def upgrade() -> None:
    repoint(OLD, NEW)


def downgrade() -> None:
    repoint(NEW, OLD)
