"""ids are never reused: a new row never gets the id of a deleted one

Audit rows, certificates and URLs name people, cases and documents by id. Without
AUTOINCREMENT SQLite hands out max(id) + 1, so after a destruction a new child got the
destroyed child's person, case and document ids, and the same case reference (derived from
the id), and the audit rows about the one now named the other.

SQLite: each table is rebuilt (batch, rows kept with their ids) with AUTOINCREMENT, and its
sqlite_sequence set past the highest id it holds and the highest the audit log names, so
even the ids of rows deleted before this upgrade are not handed out again. Foreign keys
are off during the rebuild (dropping a parent table would fail them) and checked after it.
Rebuilding page_text drops its full-text triggers (0002): they are made again, and the
FTS5 table keeps working since the page ids do not change.
PostgreSQL: serial sequences never go back; each is only moved past the same ids (rows
written with explicit ids, say by a restore, do not move a sequence on).

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# table -> the subject_type audit rows name its ids by (None: the audit log does not)
TABLES = {
    "user_account": "user",
    "person": "person",
    "case_file": "case",
    "case_note": None,
    "document": "document",
    "stored_object": None,
    "page_text": None,
    "hold": "hold",
    "consent": None,
    "audit_event": None,
    "destruction_certificate": None,
}

PAGE_TEXT_TRIGGERS = (
    "CREATE TRIGGER page_text_ai AFTER INSERT ON page_text BEGIN "
    "INSERT INTO page_text_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER page_text_ad AFTER DELETE ON page_text BEGIN "
    "INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER page_text_au AFTER UPDATE ON page_text BEGIN "
    "INSERT INTO page_text_fts(page_text_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO page_text_fts(rowid, text) VALUES (new.id, new.text); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_without_foreign_keys(autoincrement=True)
    for table, subject_type in TABLES.items():
        _start_sequence_past_used_ids(table, subject_type)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild_without_foreign_keys(autoincrement=False)


def _rebuild_without_foreign_keys(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    # PRAGMA foreign_keys is a no-op inside a transaction: end the migration's, switch them
    # off, and go on in a new one (casevault's SQLite connections issue BEGIN themselves).
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    for trigger in PAGE_TEXT_TRIGGERS:
        op.execute(trigger)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def _start_sequence_past_used_ids(table: str, subject_type: str | None) -> None:
    bind = op.get_bind()
    highest = bind.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
    if subject_type is not None:
        number = "subject_id NOT GLOB '*[^0-9]*'" if bind.dialect.name == "sqlite" else "subject_id ~ '^[0-9]+$'"
        named = bind.execute(
            sa.text(
                "SELECT coalesce(max(CAST(subject_id AS INTEGER)), 0) FROM audit_event"
                f" WHERE subject_type = :type AND {number} AND length(subject_id) BETWEEN 1 AND 9"
            ),
            {"type": subject_type},
        ).scalar_one()
        highest = max(highest, named)
    if not highest:
        return
    if bind.dialect.name == "sqlite":
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :table"), {"table": table})
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)"), {"table": table, "seq": highest}
        )
        return
    # A row written with an explicit id (an import, a restored dump) does not move the
    # sequence on: move it past every id in use, never back.
    sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}).scalar_one()
    bind.execute(
        sa.text(f"SELECT setval(:sequence, greatest(:seq, (SELECT last_value FROM {sequence})))"),
        {"sequence": sequence, "seq": highest},
    )
