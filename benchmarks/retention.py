"""Retention benchmark (issue 5): how long the sweep takes to plan, and to archive and
destroy each document, on the filesystem and S3 backends.

    .venv/bin/python benchmarks/retention.py

Planning: 100,000 cases, 1% due (500 closed cases to archive, 500 people at 25 to
destroy); the rest are kept (open, or archived with the window not yet over, 10% under
a standing hold). Goal: under 1 second, and growing with the items due, not with the
items kept: the same 1,000 due among 10,000 and 100,000 cases should plan in about the
same time. SQLite (the embedded default), in a temporary directory.

Moves: people with one closed case of two documents (an original and a searchable
object each, 64 KiB); one sweep archives them (copy, verify by decrypting, commit,
delete the source in every version), a later sweep destroys them at 25 (every version
in both tiers in batched deletes, key shredded, rows, certificate). S3 is a moto server
in a subprocess on loopback, so the figures are moto's speed, not S3's.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks.storage import moto_server
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.migrate import upgrade
from casevault.core.models import (
    PDF_VARIANTS,
    Case,
    CaseStatus,
    Document,
    DocumentStatus,
    Hold,
    HoldKind,
    Person,
    ProvidedBy,
    ReferralSource,
    Tier,
)
from casevault.core.settings import Settings, load_settings
from casevault.ingest.accept import stored_row
from casevault.retention.facts import plan
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from casevault.retention.tagging import lifecycle_tags

TODAY = dt.date(2026, 11, 24)
DUE_ARCHIVE, DUE_DESTROY = 500, 500
PEOPLE_FOR_MOVES = 40
DOCUMENT_BYTES = 64 * 1024


# --- planning ---------------------------------------------------------------------------


def populate(container: Services, *, cases: int) -> None:
    """``cases`` cases, one person each; 1,000 due, the rest kept, 10% of those held."""
    now = container.clock.now()
    people, rows, holds = [], [], []
    for i in range(1, cases + 1):
        if i <= DUE_DESTROY:
            born, status, closed, until = dt.date(2001, 1, 1) + dt.timedelta(days=i % 300), CaseStatus.open, None, None
        elif i <= DUE_DESTROY + DUE_ARCHIVE:
            born, status, closed, until = dt.date(2012, 1, 1), CaseStatus.closed, dt.date(2026, 10, 1), None
        elif i % 2:
            born, status, closed, until = dt.date(2010, 1, 1) + dt.timedelta(days=i % 3000), CaseStatus.open, None, None
        else:
            born, status, closed, until = (
                dt.date(2009, 1, 1) + dt.timedelta(days=i % 3000),
                CaseStatus.archived,
                dt.date(2026, 3, 1),
                dt.date(2027, 3, 1),
            )
        people.append(
            {"id": i, "full_name": f"Person {i}", "date_of_birth": born, "pseudonym": f"p_{i:024x}", "created_at": now}
        )
        rows.append(
            {
                "id": i,
                "reference": f"SEN-B-{i:07d}",
                "person_id": i,
                "referral_date": dt.date(2025, 1, 1),
                "referral_source": ReferralSource.parent_carer.value,
                "status": status.value,
                "closed_on": closed,
                "archive_until": until,
                "created_at": now,
                "updated_at": now,
            }
        )
        if i > DUE_DESTROY + DUE_ARCHIVE and i % 10 == 0:
            holds.append({"case_id": i, "kind": HoldKind.legal.value, "reason": "benchmark", "placed_at": now})
    with container.engine.begin() as connection:
        connection.execute(sa.insert(Person.__table__), people)
        connection.execute(sa.insert(Case.__table__), rows)
        connection.execute(sa.insert(Hold.__table__), holds)
        connection.exec_driver_sql("ANALYZE")


def time_planning(workdir: Path, *, cases: int) -> tuple[float, int]:
    container = make_container(load_settings(data_dir=workdir / f"plan-{cases}"), filesystem=True)
    populate(container, cases=cases)
    best, due = float("inf"), 0
    for _ in range(5):
        with container.new_session() as session:
            started = time.perf_counter()
            actions = plan(session, schedule=container.schedule, as_of=TODAY)
            best = min(best, time.perf_counter() - started)
        due = len(actions)
    container.close()
    return best, due


# --- moves ------------------------------------------------------------------------------


def make_container(settings: Settings, *, filesystem: bool) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    init_storage(settings)
    return Services(settings, clock=FixedClock(TODAY))


def seed_closed_cases(container: Services, workdir: Path) -> int:
    source = workdir / "document.bin"
    source.write_bytes(os.urandom(DOCUMENT_BYTES))
    documents = 0
    for n in range(PEOPLE_FOR_MOVES):
        born = dt.date(2010, 1, 1)
        with transaction(container.new_session) as session:
            person = Person(full_name=f"Person {n}", date_of_birth=born)
            session.add(person)
            session.flush()
            case = Case(
                reference=f"SEN-M-{n:05d}",
                person_id=person.id,
                referral_date=dt.date(2026, 1, 1),
                referral_source=ReferralSource.parent_carer,
                status=CaseStatus.closed,
                closed_on=dt.date(2026, 10, 1),
            )
            session.add(case)
            session.flush()
            subject, case_id = person.pseudonym, case.id
        tags = lifecycle_tags(tier=Tier.active, schedule=container.schedule)
        for _ in range(2):
            stored = [
                container.vault.put(subject=subject, source=source, tier=Tier.active, tags=tags) for _ in PDF_VARIANTS
            ]
            with transaction(container.new_session) as session:
                document = Document(
                    case_id=case_id,
                    original_filename="x.pdf",
                    content_type="application/pdf",
                    size=DOCUMENT_BYTES,
                    sha256=secrets.token_hex(32),
                    correspondence_date=dt.date(2026, 9, 1),
                    provided_by=ProvidedBy.school,
                    status=DocumentStatus.ready,
                )
                session.add(document)
                session.flush()
                for variant, put in zip(PDF_VARIANTS, stored, strict=True):
                    session.add(stored_row(document, variant, put, Tier.active))
            documents += 1
    return documents


def time_moves(name: str, settings: Settings, workdir: Path) -> tuple[str, float, float]:
    container = make_container(settings, filesystem=name == "filesystem")
    documents = seed_closed_cases(container, workdir)
    lifecycle = container.lifecycle
    started = time.perf_counter()
    archived = run_sweep(lifecycle, dry_run=False)
    archive_seconds = time.perf_counter() - started
    assert archived.count(StepOutcomeKind.done) == PEOPLE_FOR_MOVES, archived.outcomes[:3]
    container.clock.set(dt.date(2035, 1, 1))
    started = time.perf_counter()
    destroyed = run_sweep(lifecycle, dry_run=False)
    destroy_seconds = time.perf_counter() - started
    assert destroyed.count(StepOutcomeKind.done) == PEOPLE_FOR_MOVES, destroyed.outcomes[:3]
    container.close()
    return name, archive_seconds / documents, destroy_seconds / documents


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        planning = [(cases, *time_planning(workdir, cases=cases)) for cases in (10_000, 100_000)]
        moves = [time_moves("filesystem", load_settings(data_dir=workdir / "fs", chunk_size_kb=1024), workdir)]
        with moto_server() as endpoint:
            suffix = secrets.token_hex(4)
            s3 = load_settings(
                data_dir=workdir / "s3",
                storage_url="s3://",
                s3_endpoint_url=endpoint,
                s3_addressing_style="path",
                s3_access_key_id="testing",
                s3_secret_access_key="testing",
                s3_active_bucket=f"bench-active-{suffix}",
                s3_archive_bucket=f"bench-archive-{suffix}",
            )
            moves.append(time_moves("s3 (moto)", s3, workdir))
    print(render(planning, moves))


def render(planning: list[tuple[int, float, int]], moves: list[tuple[str, float, float]]) -> str:
    lines = [
        f"Measured {dt.date.today()} on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        " SQLite; S3 = moto server on loopback (own process).",
        "",
        "| cases kept + due | due (archive + destroy) | held among kept | plan the sweep (best of 5) |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for cases, seconds, due in planning:
        kept = cases - DUE_ARCHIVE - DUE_DESTROY
        lines.append(f"| {cases:,} | {due:,} | {kept // 10:,} | {seconds * 1000:.0f} ms |")
    lines += [
        "",
        f"| backend | archive, per document (2 objects of {DOCUMENT_BYTES // 1024} KiB) | destroy, per document |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {a * 1000:.1f} ms | {d * 1000:.1f} ms |" for name, a, d in moves]
    worst = max(seconds for _, seconds, _ in planning)
    lines += [
        "",
        f"- Goal: planning 100,000 cases with 1% due < 1 s: **{'met' if worst < 1 else 'not met'}** ({worst * 1000:.0f} ms)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
