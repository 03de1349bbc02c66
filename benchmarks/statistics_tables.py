"""Anonymised statistics over 100,000 cases (issue 14: each table under 500 ms).

Builds a migrated database (SQLite always; PostgreSQL too when CASEVAULT_TEST_DATABASE_URL
is set), fills it with 100,000 people with a case each (referred 2021 to 2026, every
source, ages 0 to 24 at referral, 60% closed with an outcome code) and 5,000 tallies of
destroyed cases, then times what GET /statistics/{table} does (the GROUP BY counts and the
disclosure control) for each table, by quarter and by year, over all six years.
Prints a Markdown table.

    .venv/bin/python benchmarks/statistics_tables.py [--cases 100000] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import secrets
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from casevault.core.db import make_engine, session_factory
from casevault.core.migrate import upgrade
from casevault.core.models import Case, DestroyedCaseTally, OutcomeCode, Person, ReferralSource
from casevault.core.statistics import By, age_band, periods, release
from casevault.retention.statistics import COLUMNS, Table, count_cases

FIRST, LAST = dt.date(2021, 1, 1), dt.date(2026, 11, 30)
BATCH = 5_000
CODES = [code for code in OutcomeCode if code is not OutcomeCode.not_recorded]


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def fill(engine: sa.Engine, *, cases: int, rng: random.Random) -> None:
    now = dt.datetime.now(dt.UTC)
    for start in range(0, cases, BATCH):
        people, files = [], []
        for number in range(start, min(cases, start + BATCH)):
            referred = _day(rng, FIRST, LAST)
            born = referred - dt.timedelta(days=rng.randrange(25 * 365))
            closed = min(referred + dt.timedelta(days=rng.randrange(1, 365)), LAST) if rng.random() < 0.6 else None
            people.append(
                {
                    "id": number + 1,
                    "full_name": f"Child {number}",
                    "name_key": f"child {number}",
                    "date_of_birth": born,
                    "pseudonym": f"p_{number:024x}",
                    "created_at": now,
                }
            )
            files.append(
                {
                    "id": number + 1,
                    "reference": f"SEN-B-{number:06d}",
                    "person_id": number + 1,
                    "referral_date": referred,
                    "referral_source": rng.choice(list(ReferralSource)).value,
                    "status": "closed" if closed else "open",
                    "closed_on": closed,
                    "outcome": "Resolved." if closed else None,
                    "outcome_code": rng.choice(CODES).value if closed else None,
                    "re_referral": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with engine.begin() as connection:
            connection.execute(sa.insert(Person.__table__), people)  # type: ignore[attr-defined]
            connection.execute(sa.insert(Case.__table__), files)  # type: ignore[attr-defined]
    tallies = []
    for _ in range(5_000):
        referred = _day(rng, FIRST, LAST)
        closed = min(referred + dt.timedelta(days=200), LAST)
        tallies.append(
            {
                "referral_source": rng.choice(list(ReferralSource)).value,
                "age_band": age_band(referred - dt.timedelta(days=rng.randrange(25 * 365)), referred),
                "referral_year": referred.year,
                "referral_quarter": (referred.month + 2) // 3,
                "outcome_code": rng.choice(CODES).value,
                "closed_year": closed.year,
                "closed_quarter": (closed.month + 2) // 3,
            }
        )
    with engine.begin() as connection:
        connection.execute(sa.insert(DestroyedCaseTally.__table__), tallies)  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")


def one_table(engine: sa.Engine, table: Table, by: By) -> float:
    new_session = session_factory(engine)
    started = time.perf_counter()
    with new_session() as session:
        counted = count_cases(session, table=table, start=FIRST, end=LAST, by=by)
    released = release(counted.counts, rows=periods(counted.start, counted.end, by), columns=COLUMNS[table])
    assert released.total.total != 0
    return (time.perf_counter() - started) * 1000


def bench(url: str, label: str, *, cases: int, runs: int) -> list[str]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    fill(engine, cases=cases, rng=random.Random(14))
    print(f"{label}: {cases:,} cases written in {time.perf_counter() - started:.0f} s")
    rows = []
    for table in Table:
        for by in By:
            one_table(engine, table, by)  # warm the cache, as a running service has it
            times = sorted(one_table(engine, table, by) for _ in range(runs))
            p50, worst = times[len(times) // 2], times[-1]  # not the statistics module: this file's name hides it
            rows.append(
                f"| {label} | {table.value} | {by.value} | {p50:.0f} | {worst:.0f} | {'met' if worst < 500 else 'MISSED'} |"
            )
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            rows += bench(f"sqlite:///{Path(tmp) / 'statistics.db'}", "SQLite", cases=args.cases, runs=args.runs)
    server = os.environ.get("CASEVAULT_TEST_DATABASE_URL")
    if server:
        name = f"casevault_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as db:
            db.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
            rows += bench(url, "PostgreSQL", cases=args.cases, runs=args.runs)
        finally:
            with admin.connect() as db:
                db.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"\nStatistics over {args.cases:,} cases and 5,000 destroyed-case tallies, {FIRST} to {LAST}")
    print(f"({len(periods(FIRST, LAST, By.quarter))} quarters), {args.runs} runs each ({dt.date.today()}):\n")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"Machine: {machine}; load average (1, 5, 15 min) at start-end: {load}.\n")
    print("| database | table | by | p50 ms | slowest ms | goal < 500 ms |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
