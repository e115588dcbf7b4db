"""every answer to feedback is kept; feedback may name the answer it is about

Staff answers move from ``feedback.answer``/``answered_at`` (one answer, overwritten by
the next) into ``feedback_answers`` (one row per answer). The author of an answer given
before is unknown: it is kept as ``(unknown)``. ``feedback.about_entry`` names the
knowledge-base entry of an answer a citizen found lacking (👎).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_AUTHOR = "(unknown)"
FEEDBACK = sa.table(
    "feedback",
    sa.column("id", sa.Integer),
    sa.column("answer", sa.Text),
    sa.column("answered_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
ANSWERS = sa.table(
    "feedback_answers",
    sa.column("id", sa.Integer),
    sa.column("feedback_id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("author", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    # Read the answers first: on SQLite the batch below re-creates ``feedback``, and
    # dropping a table deletes the rows that refer to it (ON DELETE CASCADE).
    answered = bind.execute(
        sa.select(FEEDBACK.c.id, FEEDBACK.c.answer, FEEDBACK.c.answered_at, FEEDBACK.c.created_at)
        .where(FEEDBACK.c.answer.is_not(None))
        .order_by(FEEDBACK.c.id)
    ).all()
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about_entry", sa.String(length=200), nullable=True))
        batch_op.drop_column("answered_at")
        batch_op.drop_column("answer")

    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_answers_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
    )
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_answers_feedback_id"), ["feedback_id"], unique=False
        )
    if answered:
        op.bulk_insert(
            ANSWERS,
            [
                {
                    "feedback_id": feedback_id,
                    "text": text,
                    "author": UNKNOWN_AUTHOR,
                    "created_at": answered_at or created_at,
                }
                for feedback_id, text, answered_at, created_at in answered
            ],
        )


def downgrade() -> None:
    bind = op.get_bind()
    latest = bind.execute(
        sa.select(ANSWERS.c.feedback_id, ANSWERS.c.text, ANSWERS.c.created_at).order_by(
            ANSWERS.c.feedback_id, ANSWERS.c.created_at, ANSWERS.c.id
        )
    ).all()
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_answers_feedback_id"))
    op.drop_table("feedback_answers")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("about_entry")
    last = {feedback_id: (text, at) for feedback_id, text, at in latest}  # the newest wins
    for feedback_id, (text, at) in last.items():
        bind.execute(
            FEEDBACK.update()
            .where(FEEDBACK.c.id == feedback_id)
            .values(answer=text, answered_at=at)
        )
