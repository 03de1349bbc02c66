"""Service-wide counters, kept in the database (``MetricTotal``).

Work done by workers (OCR, sweeps, destructions) is counted by adding to a row in
the same transaction as the work itself: the count commits with the work or not at
all, survives restarts, and is the same whichever API process is asked, however
many workers on however many machines did the work.

Every counter is declared here with its label's fixed vocabulary, and ``add``
refuses anything else: a label can never carry a name, a date or a word from a
document.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from casevault.core.models import MetricTotal


@dataclass(frozen=True)
class CounterSpec:
    name: str
    help: str
    label: str = ""  # the label's name, "" for none
    values: frozenset[str] = frozenset()  # every value the label may take


OCR_PAGES = CounterSpec(
    "ocr_pages",
    "Pages of documents made searchable, by how their text was found",
    label="method",
    values=frozenset({"ocr", "text"}),
)
OCR_SECONDS = CounterSpec(
    "ocr_seconds", "Seconds workers spent turning documents into searchable ones (fetch to store)"
)
OCR_FAILURES = CounterSpec(
    "ocr_failures", "Documents whose processing failed for good (they wait for `casevault ocr retry`)"
)
SWEEP_OUTCOMES = CounterSpec(
    "sweep_outcomes",
    "Items of lifecycle work the sweep acted on, by outcome",
    label="outcome",
    values=frozenset({"done", "skipped", "waiting", "failed"}),
)
DESTRUCTIONS = CounterSpec("destructions", "People destroyed and certified")
DESTROYED_OBJECTS = CounterSpec(
    "destroyed_objects", "Stored objects destroyed (a person's, or an archive past its window)"
)
DESTROYED_BYTES = CounterSpec("destroyed_bytes", "Bytes of object versions destroyed")
INTEGRITY_ALERTS = CounterSpec(
    "integrity_alerts",
    "Stored objects that failed their integrity check when read, by what was reading them",
    label="operation",
    values=frozenset({"download", "restore"}),
)

COUNTERS = {spec.name: spec for spec in (
    OCR_PAGES, OCR_SECONDS, OCR_FAILURES, SWEEP_OUTCOMES, DESTRUCTIONS, DESTROYED_OBJECTS, DESTROYED_BYTES,
    INTEGRITY_ALERTS,
)}  # fmt: skip


def add(session: Session, name: str, amount: float = 1, label: str = "") -> None:
    """Add ``amount`` to a counter inside the caller's transaction.

    One statement, atomic on both databases under concurrency: an insert that, when
    the row exists, adds to it (PostgreSQL locks the row; SQLite writers queue)."""
    _check(name, label)
    if amount == 0:
        return
    table = MetricTotal.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ when the class is made
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise NotImplementedError(f"counters support PostgreSQL and SQLite, not {dialect}")
    statement = statement.values(name=name, label=label, value=amount)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name, table.c.label], set_={"value": table.c.value + statement.excluded.value}
    )
    session.execute(statement)


def totals(session: Session) -> dict[tuple[str, str], float]:
    """Every counter's value by (name, label); counters never added to are absent."""
    rows = session.exec(select(MetricTotal.name, MetricTotal.label, MetricTotal.value)).all()
    return {(name, label): value for name, label, value in rows}


def _check(name: str, label: str) -> None:
    spec = COUNTERS.get(name)
    if spec is None:
        raise ValueError(f"unknown counter {name!r}; declare it in casevault.core.counters")
    if spec.label and label not in spec.values:
        raise ValueError(f"counter {name!r} takes {spec.label} in {sorted(spec.values)}, not {label!r}")
    if not spec.label and label:
        raise ValueError(f"counter {name!r} has no label")
