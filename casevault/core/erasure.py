"""Making deleted rows unreadable in the live database files, not only unreachable.

A DELETE unlinks a row; its bytes can stay readable in the files for a long time:

- SQLite: in free space of the database pages (``secure_delete``, set on every
  connection in ``casevault.core.db``, zeroes them as they are deleted), in the WAL,
  which keeps page images from before the delete until a checkpoint, and in the
  full-text index, whose segments keep every word of a deleted page until they are
  merged. ``erase_deleted`` merges the index into one segment (FTS5 ``optimize``:
  deleted entries are dropped, old segments freed and zeroed) and checkpoints the
  WAL with TRUNCATE, so the WAL file is emptied.
- PostgreSQL: dead row versions stay in the table and index pages until VACUUM marks
  their space free; even then the bytes stay until new rows reuse the space, and in
  WAL segments until they are recycled, and in base backups and WAL archives for as
  long as those are kept. ``erase_deleted`` vacuums the tables it is given; what
  remains is said in ``POSTGRESQL_REMAINS`` (quoted in destruction certificates).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

log = logging.getLogger(__name__)

FULL_TEXT_INDEXES = ("page_text_fts", "case_note_fts")  # SQLite's FTS5 tables (migrations 0002, 0011)

SQLITE_METHOD = (
    "database: deleted rows zeroed in place (SQLite secure_delete), the full-text index rewritten without them,"
    " and the write-ahead log checkpointed and truncated"
)
POSTGRESQL_REMAINS = (
    "database: the tables vacuumed, so the rows' space is free for reuse; until PostgreSQL reuses those pages the"
    " bytes remain in its data files, and in WAL segments until they are recycled, and in base backups and WAL"
    " archives until those expire under the backup retention"
)


@dataclass(frozen=True)
class Erasure:
    dialect: str
    complete: bool  # False: a reader kept the WAL busy; the next erasure finishes it
    detail: str


def method_text(engine: sa.Engine) -> str:
    """What the database side of a destruction does, for the certificate's method."""
    return SQLITE_METHOD if engine.dialect.name == "sqlite" else POSTGRESQL_REMAINS


def erase_deleted(engine: sa.Engine, *, tables: Sequence[str]) -> Erasure:
    """Call after the transaction that deleted the rows has committed, outside any
    transaction of the caller's (VACUUM and a WAL checkpoint cannot run inside one)."""
    if engine.dialect.name == "sqlite":
        return _erase_sqlite(engine)
    return _vacuum(engine, tables=tables)


def _erase_sqlite(engine: sa.Engine) -> Erasure:
    with engine.begin() as connection:
        for index in FULL_TEXT_INDEXES:
            has_index = connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (index,)
            ).first()
            if has_index:
                connection.exec_driver_sql(f"INSERT INTO {index}({index}) VALUES ('optimize')")
    # On the driver's connection: SQLAlchemy would open a transaction first, and a
    # checkpoint cannot empty the WAL while its own connection reads from it.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        busy, _frames, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    if busy:
        log.warning("database erasure: a reader kept the write-ahead log busy; it is emptied at the next erasure")
        return Erasure("sqlite", False, "write-ahead log busy: not truncated")
    return Erasure("sqlite", True, "full-text index rewritten; write-ahead log checkpointed and truncated")


def _vacuum(engine: sa.Engine, *, tables: Sequence[str]) -> Erasure:
    quoted = ", ".join(engine.dialect.identifier_preparer.quote(table) for table in tables)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM {quoted}")
    return Erasure(engine.dialect.name, True, f"vacuumed {len(tables)} tables")
