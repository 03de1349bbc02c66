"""Database engine and sessions.

The caller (a route or a task) owns the transaction: services take a session
and never commit. On SQLite every transaction starts with ``BEGIN IMMEDIATE``
so two writers queue on the busy timeout instead of failing with "database is
locked" when a reader upgrades to a writer; WAL lets readers carry on. Every
connection zeroes what it deletes (``secure_delete``), so a destroyed row leaves
no readable bytes in a free page (see ``casevault.core.erasure`` for the WAL and
the full-text index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

SessionFactory = Callable[[], Session]


def make_engine(database_url: str, *, echo: bool = False) -> sa.Engine:
    if database_url.startswith("sqlite"):
        engine = sa.create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _make_sqlite_serialise_writers(engine)
        return engine
    return sa.create_engine(database_url, echo=echo, pool_pre_ping=True)


def _make_sqlite_serialise_writers(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:  # the DB-API connection of sqlite3
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted content is overwritten with zeros, not merely unlinked from the b-tree.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: sa.Engine, *, info: Mapping[str, object] | None = None) -> SessionFactory:
    """``info`` travels with every session (e.g. the audit log's MAC key source)."""

    def new_session() -> Session:
        return Session(engine, expire_on_commit=False, info=dict(info or {}))

    return new_session


@contextmanager
def transaction(new_session: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with new_session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's transaction has committed (never if it rolls
    back): work for another process, such as a task that must find the new rows."""
    sa.event.listen(session, "after_commit", lambda _session: action(), once=True)
