"""note search: case notes are found by their words like pages, and on PostgreSQL
references and numbers are found as on SQLite

SQLite: an FTS5 table over case_note.text like page_text's (0002), kept in step by
triggers, filled from the notes already written.
PostgreSQL: page_text's tsvector is made again from the text with its ASCII punctuation
as spaces, the way SQLite's tokenizer splits it (the English parser read `SEN-48213` as
`sen` and the number `-48213`, so neither `48213` nor the reference matched), and
case_note gets the same column and GIN index. casevault.ingest.search.PG_TEXT is the
expression; keep them the same.

Revision ID: 0011
Revises: 0008
"""

from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PG_TSV = (
    "tsvector GENERATED ALWAYS AS (to_tsvector('english', regexp_replace(text, '[!-/:-@\\[-`{-~]+', ' ', 'g'))) STORED"
)
PG_OLD_TSV = "tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_tsv("page_text", PG_TSV)
        op.execute(f"ALTER TABLE case_note ADD COLUMN tsv {PG_TSV}")
        op.execute("CREATE INDEX ix_case_note_tsv ON case_note USING GIN (tsv)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE case_note_fts USING fts5("
        "text, content='case_note', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER case_note_ai AFTER INSERT ON case_note BEGIN "
        "INSERT INTO case_note_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER case_note_ad AFTER DELETE ON case_note BEGIN "
        "INSERT INTO case_note_fts(case_note_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER case_note_au AFTER UPDATE ON case_note BEGIN "
        "INSERT INTO case_note_fts(case_note_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO case_note_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute("INSERT INTO case_note_fts(case_note_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_case_note_tsv")
        op.execute("ALTER TABLE case_note DROP COLUMN tsv")
        _postgres_tsv("page_text", PG_OLD_TSV)
        return
    for trigger in ("case_note_ai", "case_note_ad", "case_note_au"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE case_note_fts")


def _postgres_tsv(table: str, column: str) -> None:
    # A generated column's expression cannot be altered: drop it (and its index) and add it again.
    op.execute(f"DROP INDEX ix_{table}_tsv")
    op.execute(f"ALTER TABLE {table} DROP COLUMN tsv")
    op.execute(f"ALTER TABLE {table} ADD COLUMN tsv {column}")
    op.execute(f"CREATE INDEX ix_{table}_tsv ON {table} USING GIN (tsv)")
