"""Destroyed means gone from the live database files at once: right after the sweep
returns, while the service's engine still holds its pooled connections open, no
file under the data directory (database, WAL, shared memory, objects, scratch)
holds a destroyed person's words, name or date of birth; a neighbour's words are
still there.

The distinctive words start with letters no other indexed word starts with, so
the full-text index cannot store them prefix-compressed (which grep would miss).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.models import DocumentStatus, Role
from casevault.core.settings import load_settings
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.e2e.life import upload
from tests.ingest.scans import pdf_with_text_pages, save, text_strip
from tests.ingest.uploads import run_ocr
from tests.people import CONSENT
from tests.tokens import token

DESTROYED = {"name": "Xanthe Brimblecombe", "born": dt.date(2001, 7, 13), "words": ("Xylofrond", "Jabberwhisk")}
KEPT = {"name": "Quentin Ostrowski", "born": dt.date(2012, 2, 29), "words": ("Quibbletorn", "Vexmoorland")}


DATABASE_FILES = {"casevault.db", "casevault.db-wal", "casevault.db-shm"}


@pytest.fixture
def service(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Services, TestClient]]:
    """The embedded default: database, objects and scratch all in one data directory."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copyfile(sqlite_template, data_dir / "casevault.db")
    settings = load_settings(data_dir=data_dir)
    init_storage(settings)
    container = Services(settings, clock=FixedClock(dt.date(2026, 6, 1)))  # before the first turns 25
    with TestClient(create_app(container), raise_server_exceptions=True) as client:
        yield container, client
    container.close()


def found_in_data_dir(data_dir: Path, told: str) -> list[str]:
    """Files under the data directory holding ``told`` (as written, or lower-cased as the index keeps words)."""
    needles = {told.encode(), told.lower().encode()}
    return sorted(
        str(path.relative_to(data_dir))
        for path in data_dir.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    )


def told_about(person: dict) -> list[str]:
    return [*person["words"], *person["name"].split(), person["born"].isoformat()]


def test_a_destroyed_persons_words_name_and_birth_date_are_in_no_file_after_the_sweep(
    service: tuple[Services, TestClient], tmp_path: Path
) -> None:
    container, client = service
    data_dir = container.settings.data_dir
    officer = token(container, "olive", Role.officer)
    for person in (DESTROYED, KEPT):
        body = {
            "full_name": person["name"],
            "date_of_birth": person["born"].isoformat(),
            "contact_details": "01234",
            "consent": CONSENT,
        }
        made = client.post("/api/v1/people", json=body, headers=officer)
        assert made.status_code == 201, made.text
        made = made.json()
        referral = {"person_id": made["id"], "referral_date": "2026-05-01", "referral_source": "parent_carer"}
        case = client.post("/api/v1/cases", json=referral, headers=officer).json()
        first, second = person["words"]
        folder = tmp_path / first
        folder.mkdir()
        scan = save(text_strip((f"{first} {second}", "Annual review")), folder / "scan.png")
        letter = pdf_with_text_pages(folder / "letter.pdf", [(f"Letter about {first} and {second}",)])
        documents = [upload(client, officer, case["id"], path, "2026-05-20") for path in (scan, letter)]
        assert [run_ocr(container, document) for document in documents] == [DocumentStatus.ready] * 2
        refused = folder / "notes.pdf"  # plaintext that fails the upload's checks: its scratch copy must go too
        refused.write_bytes(f"not a document: {first} {second} {person['name']}".encode() * 50)
        with refused.open("rb") as body:
            answer = client.post(
                f"/api/v1/cases/{case['id']}/documents",
                files={"file": ("notes.pdf", body)},
                data={"correspondence_date": "2026-05-20", "provided_by": "school"},
                headers=officer,
            )
        assert answer.status_code == 415, answer.text
        if person is DESTROYED:  # an open case would wait for a manager's approval
            closure = {"closed_on": "2026-06-01", "outcome": f"Agreed with {first}.", "outcome_code": "advice_given"}
            assert client.post(f"/api/v1/cases/{case['id']}/close", json=closure, headers=officer).status_code == 200

    # The same grep finds the person while they exist (so its silence later means something),
    # and only in the database: no scratch copy of an upload, a page or its text is left.
    for told in told_about(DESTROYED):
        found = found_in_data_dir(data_dir, told)
        assert found, f"{told!r} should be in the database before the destruction"
        assert set(found) <= DATABASE_FILES, f"{told!r} is outside the database: {found}"

    clock: FixedClock = container.clock
    clock.set(dt.date(2026, 11, 24))
    report = run_sweep(container.lifecycle, dry_run=False)

    assert [o.item for o in report.outcomes if o.outcome is StepOutcomeKind.done] == ["destroy:person:1"]
    left = {told: found_in_data_dir(data_dir, told) for told in told_about(DESTROYED)}
    assert left == {told: [] for told in told_about(DESTROYED)}
    for word in KEPT["words"]:
        assert "casevault.db" in found_in_data_dir(data_dir, word)
    manager = token(container, "maya", Role.manager)
    assert client.get("/api/v1/search", params={"q": KEPT["words"][0]}, headers=manager).json()["items"]


def test_the_certificate_says_what_the_database_keeps_and_for_how_long(container: Services, tmp_path: Path) -> None:
    from sqlmodel import select

    from casevault.core.models import DestructionCertificate
    from tests.retention.seeding import seed_person

    init_storage(container.settings)
    seed_person(container, tmp_path, born=dt.date(2001, 7, 13), documents=1, closed_on=dt.date(2026, 10, 1))
    vacuums_before = _vacuums(container)
    run_sweep(container.lifecycle, dry_run=False)

    with container.new_session() as session:
        [certificate] = session.exec(select(DestructionCertificate)).all()
    if container.engine.dialect.name == "postgresql":
        assert "vacuumed" in certificate.method and "backups" in certificate.method
        after = _vacuums(container)
        assert len(vacuums_before) == 3 and all(after[table] > count for table, count in vacuums_before.items())
    else:
        assert "write-ahead log" in certificate.method and "full-text index rewritten" in certificate.method


def _vacuums(container: Services) -> dict[str, int]:
    """How often PostgreSQL vacuumed the tables that held the person (empty on SQLite)."""
    if container.engine.dialect.name != "postgresql":
        return {}
    with container.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables"
            " WHERE relname IN ('person', 'page_text', 'case_file')"
        ).all()
    return {name: count for name, count in rows}
