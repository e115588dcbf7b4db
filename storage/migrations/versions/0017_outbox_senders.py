"""outbox rows name the sender that reserved them, may be paid broadcasts, may edit

``sender``: the worker that reserved or claimed the row, so the others take it over as
soon as that worker's heartbeat stops. ``paid``: a Telegram broadcast sent with
``allow_paid_broadcast``. ``edit_of``: the row is a new text for a message already sent
(the progress of a broadcast), not a message of its own.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("edit_of", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("edit_of")
        batch_op.drop_column("paid")
        batch_op.drop_column("sender")
