"""Rebuilding a SQLite table in a migration without undoing what 0008 promised.

On SQLite, alembic's batch mode rebuilds a table for most changes (copy, drop, rename).
Done naively that fails on a database with rows (the drop trips the foreign keys that
point at the table), drops AUTOINCREMENT, and restarts the id sequence at the highest
id left, so a destroyed child's ids could be handed out again. ``rebuilt`` does it the
way 0008 does: foreign keys off for the rebuild and checked after it, AUTOINCREMENT kept
when the table had it, and the sequence put back. On PostgreSQL it is plain batch mode
(direct ALTERs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations


@contextmanager
def rebuilt(table: str) -> Iterator[BatchOperations]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table(table) as batch:
            yield batch
        return
    definition = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"), {"table": table}
    ).scalar_one()
    read = sa.text("SELECT seq FROM sqlite_sequence WHERE name = :table")
    sequence = bind.execute(read, {"table": table}).scalar() if "AUTOINCREMENT" in definition else None
    # PRAGMA foreign_keys is a no-op inside a transaction: end the migration's, switch them
    # off, and go on in a new one (casevault's SQLite connections issue BEGIN themselves).
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    autoincrement = {"sqlite_autoincrement": "AUTOINCREMENT" in definition}
    with op.batch_alter_table(table, recreate="always", table_kwargs=autoincrement) as batch:
        yield batch
    if sequence is not None:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :table"), {"table": table})
        bind.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT :table, max(:seq, coalesce(max(id), 0)) FROM " + table
            ),
            {"table": table, "seq": sequence},
        )
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by rebuilding {table}: {broken[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
