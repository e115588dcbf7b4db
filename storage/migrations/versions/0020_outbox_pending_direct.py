"""an index of the pending outbox rows outside broadcasts

The sender reserves replies and progress messages before a broadcast's rows; this index
finds them without reading the broadcast's pending rows.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_DIRECT = "sent_at IS NULL AND failed IS NULL AND announcement_id IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending_direct",
        "outbox",
        ["id"],
        postgresql_where=sa.text(PENDING_DIRECT),
        sqlite_where=sa.text(PENDING_DIRECT),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_direct", table_name="outbox")
