"""feedback is searched through the database's own full-text index

SQLite: ``feedback_search``, an FTS5 table without content of its own (only the index
of words, ``unicode61`` folding case and dropping accents, umlauts written as ae/oe/ue
and ß as ss before), kept by triggers on ``feedback``: a deleted feedback's words are
deleted from it too. PostgreSQL: ``search_words``, a generated column of the words of the
text (``to_tsvector('simple', …)`` of the text folded the same way, other accents
translated to the plain letter), and ``ix_feedback_search``, its GIN index. Both find
the feedback in which a word begins with each word searched for. The expressions are
copies of those in ``storage/feedback.py`` as they were at this revision.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GERMAN: tuple[tuple[str, str], ...] = (
    ("ä", "ae"),
    ("Ä", "Ae"),
    ("ö", "oe"),
    ("Ö", "Oe"),
    ("ü", "ue"),
    ("Ü", "Ue"),
)
GERMAN += (("ß", "ss"), ("ẞ", "SS"))
ACCENTED = (
    "ÀÁÂÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÙÚÛÝàáâãåçèéêëìíîïñòóôõùúûýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥ"
    "ĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ"
)
PLAIN = (
    "AAAAACEEEEIIIINOOOOUUUYaaaaaceeeeiiiinoooouuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHh"
    "IiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
)


def german(column: str) -> str:
    """``column`` with umlauts and ß written out (SQL)."""
    for letter, written in GERMAN:
        column = f"replace({column}, '{letter}', '{written}')"
    return column


DOCUMENT = (
    f"to_tsvector('simple'::regconfig, regexp_replace(translate({german('text')}, "
    f"'{ACCENTED}', '{PLAIN}'), '[^[:alnum:]]+', ' ', 'g'))"
)
INSERT = "INSERT INTO feedback_search(rowid, text) VALUES (new.id, {})"
DELETE = "INSERT INTO feedback_search(feedback_search, rowid, text) VALUES ('delete', old.id, {})"
SQLITE = [
    "CREATE VIRTUAL TABLE feedback_search USING fts5(text, content='', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER feedback_search_insert AFTER INSERT ON feedback "
    f"BEGIN {INSERT.format(german('new.text'))}; END",
    "CREATE TRIGGER feedback_search_delete AFTER DELETE ON feedback "
    f"BEGIN {DELETE.format(german('old.text'))}; END",
    "CREATE TRIGGER feedback_search_update AFTER UPDATE OF id, text ON feedback "
    f"BEGIN {DELETE.format(german('old.text'))}; {INSERT.format(german('new.text'))}; END",
    f"INSERT INTO feedback_search(rowid, text) SELECT id, {german('text')} FROM feedback",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.execute(
            "ALTER TABLE feedback ADD COLUMN search_words tsvector "
            f"GENERATED ALWAYS AS ({DOCUMENT}) STORED"
        )
        op.execute("CREATE INDEX ix_feedback_search ON feedback USING gin (search_words)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER feedback_search_{trigger}")
        op.execute("DROP TABLE feedback_search")
    else:
        op.execute("DROP INDEX ix_feedback_search")
        op.execute("ALTER TABLE feedback DROP COLUMN search_words")
