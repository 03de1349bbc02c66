"""Search latency over an index of 100,000 pages (issue 4: p95 under 50 ms).

Builds a migrated database (SQLite always; PostgreSQL too when
CASEVAULT_TEST_DATABASE_URL is set), fills it with 100,000 pages of English-like
text over 1,000 cases of 980 people, and a note per document (10,000), then times
casevault's own `search()` (pages and notes, names of each hit) for single words,
several words, phrases and rare words, as a manager (every case) and as an officer
(her 20 open cases and the 20 earlier cases of their people: 4% of the index).
Prints a Markdown table.

    .venv/bin/python benchmarks/search.py [--pages 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from casevault.core.db import make_engine, session_factory
from casevault.core.migrate import upgrade
from casevault.core.models import User
from casevault.ingest.search import CANDIDATES, search

CASES = 1000
PAGES_PER_DOCUMENT = 10
WORDS_PER_PAGE = 250
NOTE_WORDS = 60  # one note per document
COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
]
TOPICS = [
    "school",
    "provision",
    "speech",
    "therapy",
    "annual",
    "review",
    "education",
    "health",
    "care",
    "plan",
    "assessment",
    "tribunal",
    "transport",
    "autism",
    "dyslexia",
    "support",
    "teacher",
    "parent",
    "carer",
    "meeting",
    "report",
    "letter",
    "appeal",
    "placement",
    "funding",
    "occupational",
    "psychology",
    "specialist",
    "mainstream",
    "college",
    "transition",
    "hearing",
    "visual",
    "impairment",
    "behaviour",
    "exclusion",
    "attendance",
]


def vocabulary() -> list[str]:
    """The same words for the pages and the queries (rare words must exist to be found)."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    invented = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(6000)}
    return COMMON + TOPICS + sorted(invented)


def page_text(rng: random.Random, words: list[str]) -> str:
    # Zipf-like: common words often, topic words sometimes, the long tail rarely.
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    return " ".join(rng.choices(words, weights=weights, k=WORDS_PER_PAGE))


def fill(engine: sa.Engine, *, pages: int, rng: random.Random) -> tuple[int, int]:
    """Returns (manager id, officer id)."""
    words = vocabulary()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as db:
        users = []
        for name, role in (("bench-manager", "manager"), ("bench-officer", "officer")):
            users.append(
                db.execute(
                    sa.text(
                        "INSERT INTO user_account (username, role, token_hash, created_at) VALUES (:n, :r, :h, :t) RETURNING id"
                    ),
                    {"n": name, "r": role, "h": secrets.token_hex(32), "t": now},
                ).scalar_one()
            )
        # One person per case, except that each officer's case's person also has the
        # case before it, closed: she reads that earlier case too (4% of the cases).
        people = {}
        for case in range(1, CASES + 1):
            owner = case + 1 if (case + 1) % 50 == 0 else case
            if owner not in people:
                people[owner] = db.execute(
                    sa.text(
                        "INSERT INTO person (full_name, date_of_birth, pseudonym, created_at)"
                        " VALUES (:n, '2012-01-01', :p, :t) RETURNING id"
                    ),
                    {"n": f"Bench Person {owner}", "p": "p_" + secrets.token_hex(12), "t": now},
                ).scalar_one()
        for case in range(1, CASES + 1):
            officers = case % 50 == 0
            db.execute(
                sa.text(
                    "INSERT INTO case_file (id, reference, person_id, status, referral_date, referral_source,"
                    " assigned_officer_id, created_at, updated_at)"
                    " VALUES (:id, :ref, :p, :s, '2026-01-01', 'parent_carer', :o, :t, :t)"
                ),
                {
                    "id": case,
                    "ref": f"SEN-2026-{case:05d}",
                    "p": people[case + 1 if (case + 1) % 50 == 0 else case],
                    "s": "open" if officers or (case + 1) % 50 else "closed",
                    "o": users[1] if officers else users[0],
                    "t": now,
                },
            )
        documents = pages // PAGES_PER_DOCUMENT
        db.execute(
            sa.text(
                "INSERT INTO document (id, case_id, original_filename, content_type, size, sha256, correspondence_date, provided_by, status, tier, created_at, updated_at)"
                " VALUES (:id, :case, 'scan.pdf', 'application/pdf', 1, :sha, '2026-02-01', 'school', 'ready', 'active', :t, :t)"
            ),
            [{"id": d, "case": 1 + d % CASES, "sha": f"{d:064x}", "t": now} for d in range(1, documents + 1)],
        )
        db.execute(
            sa.text(
                "INSERT INTO case_note (case_id, kind, text, date, created_at)"
                " VALUES (:case, 'progress_summary', :x, '2026-02-01', :t)"
            ),
            [
                {"case": 1 + d % CASES, "x": " ".join(page_text(rng, words).split()[:NOTE_WORDS]), "t": now}
                for d in range(1, documents + 1)
            ],
        )
        batch = []
        for number in range(pages):
            batch.append(
                {
                    "d": 1 + number // PAGES_PER_DOCUMENT,
                    "p": 1 + number % PAGES_PER_DOCUMENT,
                    "x": page_text(rng, words),
                }
            )
            if len(batch) == 5000:
                db.execute(sa.text("INSERT INTO page_text (document_id, page, text) VALUES (:d, :p, :x)"), batch)
                batch = []
        if batch:
            db.execute(sa.text("INSERT INTO page_text (document_id, page, text) VALUES (:d, :p, :x)"), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.exec_driver_sql("VACUUM ANALYZE page_text")
    return users[0], users[1]


def queries(rng: random.Random, count: int) -> dict[str, list[str]]:
    words = vocabulary()
    rare = words[len(COMMON) + len(TOPICS) + 3000 :]  # the long tail: a few pages each
    return {
        "one topic word": [rng.choice(TOPICS) for _ in range(count)],
        "two words": [f"{rng.choice(TOPICS)} {rng.choice(TOPICS)}" for _ in range(count)],
        "phrase": [f'"{rng.choice(TOPICS)} {rng.choice(COMMON)}"' for _ in range(count)],
        "rare word": [rng.choice(rare) for _ in range(count)],
    }


def measure(engine: sa.Engine, user_id: int, texts: list[str]) -> tuple[float, float]:
    new_session = session_factory(engine)
    timings = []
    with new_session() as session:
        user = session.get(User, user_id)
        search(session, query=texts[0], user=user, case_id=None)  # warm the cache
        for text in texts:
            started = time.perf_counter()
            search(session, query=text, user=user, case_id=None, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def bench(url: str, label: str, *, pages: int, count: int) -> list[str]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    manager, officer = fill(engine, pages=pages, rng=random.Random(42))
    print(f"{label}: indexed {pages} pages in {time.perf_counter() - started:.0f} s")
    rows = []
    for kind, texts in queries(random.Random(1), count).items():
        for who, user in (("manager", manager), ("officer", officer)):
            p50, p95 = measure(engine, user, texts)
            verdict = "met" if p95 < 50 else "MISSED"
            rows.append(f"| {label} | {kind} | {who} | {p50:.1f} | {p95:.1f} | {verdict} |")
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench(f"sqlite:///{Path(tmp) / 'search.db'}", "SQLite FTS5", pages=args.pages, count=args.queries)
    server = os.environ.get("CASEVAULT_TEST_DATABASE_URL")
    if server:
        name = f"casevault_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as db:
            db.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            rows += bench(
                sa.make_url(server).set(database=name).render_as_string(hide_password=False),
                "PostgreSQL",
                pages=args.pages,
                count=args.queries,
            )
        finally:
            with admin.connect() as db:
                db.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"\nSearch over {args.pages:,} pages, {args.queries} queries of each kind, top 20 hits ({dt.date.today()}):\n"
    )
    print(
        f"Ranking considers at most {CANDIDATES} matching pages, the most recent (casevault.ingest.search.CANDIDATES).\n"
    )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"Machine: {machine}; load average (1, 5, 15 min) at start-end: {load}.\n")
    print("| database | query | caller | p50 ms | p95 ms | goal p95 < 50 ms |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
