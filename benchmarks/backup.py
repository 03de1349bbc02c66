"""Backup benchmark (issue 16): `casevault backup create` and `backup verify` of an embedded
default holding N documents, with the service working on the database all the while.

    .venv/bin/python benchmarks/backup.py                      # 1,000 documents, about 2 GB
    .venv/bin/python benchmarks/backup.py --documents 100      # smaller, about 200 MB

Documents are stored directly through the vault (no OCR): an original and a searchable
object of ``--mb-per-object`` random (incompressible) bytes each, one page of text, ten
documents a person. Both commands run as the real CLI in a process of their own; the peak
memory is that process's maximum resident set (``wait4``). Meanwhile a writer process adds
a case note and reads a case every 20 ms: its count and its slowest operation say whether
the service kept serving. Everything lives in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import multiprocessing.synchronize
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.migrate import upgrade
from casevault.core.models import (
    PDF_VARIANTS,
    Case,
    CaseNote,
    Document,
    DocumentStatus,
    NoteKind,
    PageText,
    Person,
    ProvidedBy,
    ReferralSource,
    Tier,
)
from casevault.core.settings import Settings, load_settings
from casevault.ingest.accept import stored_row
from casevault.retention.tagging import lifecycle_tags

MB = 1_000_000
DOCUMENTS_PER_PERSON = 10


def seed(settings: Settings, *, documents: int, object_bytes: int, scratch: Path) -> int:
    """Store ``documents`` documents; returns the bytes stored."""
    services = Services(settings)
    tags = lifecycle_tags(tier=Tier.active, schedule=services.schedule)
    source = scratch / "object.bin"
    stored = 0
    case_id = pseudonym = None
    for number in range(documents):
        if number % DOCUMENTS_PER_PERSON == 0:
            with transaction(services.new_session) as session:
                person = Person(full_name=f"Person {number}", date_of_birth=dt.date(2015, 1, 1))
                session.add(person)
                session.flush()
                case = Case(
                    reference=f"SEN-BENCH-{number:05d}",
                    person_id=person.id,
                    referral_date=dt.date(2026, 1, 5),
                    referral_source=ReferralSource.professional,
                )
                session.add(case)
                session.flush()
                case_id, pseudonym = case.id, person.pseudonym
        assert case_id is not None and pseudonym is not None
        puts = []
        for _ in PDF_VARIANTS:
            source.write_bytes(os.urandom(object_bytes))
            puts.append(services.vault.put(subject=pseudonym, source=source, tier=Tier.active, tags=tags))
        with transaction(services.new_session) as session:
            document = Document(
                case_id=case_id,
                original_filename=f"scan-{number}.pdf",
                content_type="application/pdf",
                size=puts[0].size,
                sha256=puts[0].sha256,
                correspondence_date=dt.date(2026, 1, 5),
                provided_by=ProvidedBy.school,
                status=DocumentStatus.ready,
                tier=Tier.active,
                page_count=1,
            )
            session.add(document)
            session.flush()
            for variant, put in zip(PDF_VARIANTS, puts, strict=True):
                session.add(stored_row(document, variant, put, Tier.active))
                stored += put.stored_size
            session.add(PageText(document_id=document.id, page=1, text=f"Annual review letter number {number}."))
        if (number + 1) % 100 == 0:
            print(f"  stored {number + 1} documents", file=sys.stderr)
    services.close()
    return stored


def keep_serving(settings: Settings, stop: multiprocessing.synchronize.Event, results: multiprocessing.Queue) -> None:
    """A case note written and a case read every 20 ms, timing each: the service's work."""
    services = Services(settings)
    done, slowest = 0, 0.0
    while not stop.is_set():
        started = time.perf_counter()
        with transaction(services.new_session) as session:
            session.add(
                CaseNote(case_id=1, kind=NoteKind.progress_summary, text="Rang the school.", date=dt.date(2026, 1, 6))
            )
        with services.new_session() as session:
            session.get(Case, 1)
        slowest = max(slowest, time.perf_counter() - started)
        done += 1
        time.sleep(0.02)
    results.put((done, slowest))
    services.close()


def timed_command(settings: Settings, *args: str) -> tuple[float, float, str]:
    """Run ``casevault ARGS``; (seconds, peak RSS in MiB, stdout)."""
    env = {**os.environ, "CASEVAULT_DATA_DIR": str(settings.data_dir), "CASEVAULT_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "casevault", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"casevault {' '.join(args)} failed: {output}")
    return seconds, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--mb-per-object", type=float, default=1.0, help="two objects a document")
    args = parser.parse_args()
    object_bytes = int(args.mb_per_object * MB)
    root = Path(tempfile.mkdtemp(prefix="casevault-backup-bench-"))
    try:
        settings = load_settings(data_dir=root / "var")
        settings.data_dir.mkdir(mode=0o700)
        upgrade(settings.database_url)
        init_storage(settings)
        print(f"storing {args.documents} documents of 2 x {object_bytes / MB:g} MB ...", file=sys.stderr)
        started = time.perf_counter()
        stored = seed(settings, documents=args.documents, object_bytes=object_bytes, scratch=root)
        seeding = time.perf_counter() - started

        stop, results = multiprocessing.Event(), multiprocessing.Queue()
        writer = multiprocessing.Process(target=keep_serving, args=(settings, stop, results))
        writer.start()
        time.sleep(1)
        _, baseline_mib, _ = timed_command(settings, "backup", "list")  # the command's own imports, for scale
        create_s, create_mib, _ = timed_command(settings, "backup", "create")
        assert settings.backup_dir is not None
        [archive] = sorted(settings.backup_dir.glob("casevault-backup-*.cvbk"))
        verify_s, verify_mib, verified = timed_command(settings, "backup", "verify", str(archive))
        stop.set()
        served, slowest = results.get(timeout=60)
        writer.join()

        size = archive.stat().st_size
        load = os.getloadavg()[0]
        print(
            f"{dt.date.today()}, {os.cpu_count()} cores, CPython {platform.python_version()},"
            f" load average at the end: {load:.1f}; seeding took {seeding:.0f} s"
        )
        print()
        print("| documents | stored | backup file | create s | create MB/s | create peak RSS MiB |"
              " verify s | verify MB/s | verify peak RSS MiB | `backup list` RSS MiB (baseline) |"
              " service ops during both | slowest op s |")  # fmt: skip
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(
            f"| {args.documents:,} | {stored / MB:,.0f} MB | {size / MB:,.0f} MB | {create_s:.1f} |"
            f" {size / MB / create_s:.0f} | {create_mib:.0f} | {verify_s:.1f} | {size / MB / verify_s:.0f} |"
            f" {verify_mib:.0f} | {baseline_mib:.0f} | {served} | {slowest:.2f} |"
        )
        print()
        print(verified.strip())
    finally:
        shutil.rmtree(root, ignore_errors=True)  # the backups (var-backups) too


if __name__ == "__main__":
    main()
