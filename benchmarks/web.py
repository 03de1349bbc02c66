"""Server-side time of the web pages (goal: p95 under 150 ms each) at 1,000 cases and
100,000 indexed pages.

Seeds a migrated SQLite database as benchmarks/search.py does (1,000 cases, 100,000 pages
of English-like text, a note per document), then adds: 40 more documents on one of the
officer's cases (50 in all), 30 people turning 25 in the next 30 days (the due list), and
100,000 audit rows. Each page is asked for through TestClient by a signed-in browser
session (cookie and all), in process, and timed from request to full answer: the server's
work plus TestClient's own small overhead. Prints a Markdown table.

    .venv/bin/python benchmarks/web.py [--pages 100000] [--requests 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import audit_mac_key, init_storage
from casevault.app.services import Services
from casevault.core import web_sessions
from casevault.core.migrate import upgrade
from casevault.core.settings import load_settings

sys.path.insert(0, str(Path(__file__).parent))
from search import fill

PASSWORD = "a long enough benchmark passphrase"
AUDIT_ROWS = 100_000
GOAL_MS = 150
OFFICERS_CASE = 50  # search.fill gives every 50th case to the officer


def seed_more(engine: sa.Engine, *, manager: int, officer: int) -> None:
    now = dt.datetime.now(dt.UTC)
    password = web_sessions.hash_password(PASSWORD)
    with engine.begin() as db:
        db.execute(sa.text("UPDATE user_account SET password_hash = :h"), {"h": password})
        last = db.execute(sa.text("SELECT max(id) FROM document")).scalar_one()
        db.execute(
            sa.text(
                "INSERT INTO document (id, case_id, original_filename, content_type, size, sha256, correspondence_date,"
                " provided_by, status, tier, page_count, created_at, updated_at) VALUES (:id, :case, 'letter.pdf',"
                " 'application/pdf', 1, :sha, '2026-03-01', 'school', 'ready', 'active', 10, :t, :t)"
            ),
            [{"id": last + n, "case": OFFICERS_CASE, "sha": f"{last + n:064x}", "t": now} for n in range(1, 41)],
        )
        today = dt.date.today()
        for n in range(30):  # their 25th birthdays fall in the next 30 days
            born = today.replace(year=today.year - 25) + dt.timedelta(days=n)
            db.execute(sa.text("UPDATE person SET date_of_birth = :b WHERE id = :id"), {"b": born, "id": 100 + n * 7})
        rng = random.Random(3)
        actions = ["case.read", "case.list", "note.create", "document.read", "case.assign", "web.sign_in"]
        rows = [
            {
                "at": now - dt.timedelta(minutes=AUDIT_ROWS - n),
                "actor": f"user:{rng.choice((manager, officer))}",
                "action": rng.choice(actions),
                "subject_type": "case",
                "subject_id": str(rng.randint(1, 1000)),
                "hash": secrets.token_hex(32),
            }
            for n in range(AUDIT_ROWS)
        ]
        db.execute(
            sa.text(
                "INSERT INTO audit_event (at, actor, action, subject_type, subject_id, outcome, details, prev_hash, hash)"
                " VALUES (:at, :actor, :action, :subject_type, :subject_id, 'ok', '{}', '', :hash)"
            ),
            rows,
        )
        # New rows chain on from the last (the chain of these seeded rows is not verified here).
        head = db.execute(sa.text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).one()
        db.execute(sa.text("UPDATE audit_head SET last_id = :id, last_hash = :h"), {"id": head[0], "h": head[1]})


def signed_in(client: TestClient, username: str) -> None:
    client.cookies.clear()  # a browser not signed in yet
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token, "no sign-in form"
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/sign-in", data=form, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert answer.status_code == 303, (
        answer.status_code,
        re.findall(r"<title>.*?</title>|<a href=\"#\w+\">[^<]*", answer.text),
    )


def timed(client: TestClient, path: str, count: int) -> tuple[float, float] | None:
    """p50 and p95 in ms, or None when this build has no such page."""
    if client.get(path).status_code != 200:  # also warms the caches
        return None
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, path
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "var", database_url=f"sqlite:///{Path(tmp) / 'web.db'}")
        upgrade(settings.database_url)
        init_storage(settings)
        audit_mac_key(settings).init()
        services = Services(settings)
        started = time.perf_counter()
        manager, officer = fill(services.engine, pages=args.pages, rng=random.Random(42))
        seed_more(services.engine, manager=manager, officer=officer)
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        pages = [
            ("My cases", "bench-officer", "/cases"),
            ("a case with 50 documents", "bench-officer", f"/cases/{OFFICERS_CASE}"),
            ("search, one topic word", "bench-officer", "/search?q=review"),
            ("search, one topic word", "bench-manager", "/search?q=review"),
            ("due list, 30 days", "bench-manager", "/manager/due?within_days=30"),
            ("audit log, first page", "bench-manager", "/audit"),
            ("audit log, filtered by action", "bench-manager", "/audit?action=case.assign"),
            ("dashboard", "bench-manager", "/manager"),
        ]
        with TestClient(create_app(services)) as client:
            for label, username, path in pages:
                signed_in(client, username)
                result = timed(client, path, args.requests)
                who = username.removeprefix("bench-")
                if result is None:
                    rows.append(f"| {label} | {who} | `{path}` | n/a | n/a | not in this build |")
                    continue
                p50, p95 = result
                verdict = "met" if p95 < GOAL_MS else "MISSED"
                rows.append(f"| {label} | {who} | `{path}` | {p50:.1f} | {p95:.1f} | {verdict} |")
        services.close()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"\nWeb pages on SQLite, 1,000 cases, {args.pages:,} pages, {AUDIT_ROWS:,} audit rows; ", end="")
    print(f"{args.requests} requests each ({dt.date.today()}).\n")
    print(f"Machine: {machine}; load average (1, 5, 15 min) at start-end: {load}.\n")
    print(f"| page | as | path | p50 ms | p95 ms | goal p95 < {GOAL_MS} ms |")
    print("| --- | --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
