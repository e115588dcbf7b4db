"""the language people write in; choices and conversations remember more

- persons.spoken_language: someone who never chose a language with /language is
  answered in the language they last wrote in, also when they press a button or get an
  announcement.
- pending_choices.prompt: the question the choices answer, to ask it again.
- conversations.started_by and misses: the command that began a conversation (to name
  it when leaving) and how many messages in a row did not fit its step.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spoken_language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("pending_choices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("started_by", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("misses", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("misses")
        batch_op.drop_column("started_by")
    with op.batch_alter_table("pending_choices", schema=None) as batch_op:
        batch_op.drop_column("prompt")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("spoken_language")
