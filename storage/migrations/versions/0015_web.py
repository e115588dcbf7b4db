"""the web console: one-time login links and signed-in browsers

- web_logins: the hash of each one-time login link's token, whose it is, until when it
  is valid and when it was used.
- web_sessions: the hash of each signed-in browser's cookie, its identity, the token its
  forms carry and when it was last seen (a session ends after eight idle hours).
- feedback: the index on created_at becomes ix_feedback_inbox (created_at, status,
  topic, rating), so the inbox pages through 100,000 rows without reading them.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_logins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_logins")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_identity"), ["identity"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_seen_at"), ["seen_at"], unique=False)
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_created_at")
        batch_op.create_index(
            "ix_feedback_inbox", ["created_at", "status", "topic", "rating"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_inbox")
        batch_op.create_index("ix_feedback_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_seen_at"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_identity"))
    op.drop_table("web_sessions")
    op.drop_table("web_logins")
