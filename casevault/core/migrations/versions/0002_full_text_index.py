"""full-text index over page text

SQLite: an FTS5 table with the porter stemmer, kept in step with page_text
by triggers (external content, so the text is stored once).
PostgreSQL: a generated English tsvector column with a GIN index.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE page_text ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_page_text_tsv ON page_text USING GIN (tsv)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE page_text_fts USING fts5("
        "text, content='page_text', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER page_text_ai AFTER INSERT ON page_text BEGIN "
        "INSERT INTO page_text_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER page_text_ad AFTER DELETE ON page_text BEGIN "
        "INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER page_text_au AFTER UPDATE ON page_text BEGIN "
        "INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO page_text_fts(rowid, text) VALUES (new.id, new.text); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_page_text_tsv")
        op.execute("ALTER TABLE page_text DROP COLUMN tsv")
        return
    for trigger in ("page_text_ai", "page_text_ad", "page_text_au"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE page_text_fts")
