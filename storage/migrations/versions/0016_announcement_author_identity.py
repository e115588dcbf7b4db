"""announcements remember who wrote them, not only the chat they came from

The four-eyes rule compares the person approving with the author. ``author`` is the
chat a report goes to: on Matrix a room, in a Telegram group the group, on the web the
signed-in identity, so an author could approve their own announcement from another
place. ``author_identity`` is the author's own identity (``matrix:@ana:example.org``);
rows written before keep their chat as the best that is known.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_identity", sa.String(length=320), nullable=True))
    op.execute("UPDATE announcements SET author_identity = author")


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_column("author_identity")
