"""embedding vectors of knowledge-base versions, taught questions

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_vectors",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["knowledge_versions.id"],
            name=op.f("fk_knowledge_vectors_version_id_knowledge_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_knowledge_vectors")),
    )
    op.create_table(
        "taught_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("normalised", sa.String(length=500), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_questions")),
    )
    with op.batch_alter_table("taught_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_taught_questions_normalised"), ["normalised"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("taught_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_taught_questions_normalised"))
    op.drop_table("taught_questions")
    op.drop_table("knowledge_vectors")
