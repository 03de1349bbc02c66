"""What the two whole-life tests share: the people who use casevault, the three
documents of a young person's case, what the store and search hold, and the
final check that a destruction left nothing behind.

test_lifecycle.py lives that life with the background work called in the test
process; test_lifecycle_worker.py has a real worker do it through the broker.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from casevault.app.services import Services
from casevault.app.task_queue import SWEEP_TASK
from casevault.archive.audit_anchor import is_audit_object
from casevault.cli.audit import audit_group
from casevault.core.models import (
    AuditEvent,
    Case,
    CaseNote,
    Consent,
    DataKey,
    Document,
    Hold,
    PageText,
    Person,
    StoredObject,
    Tier,
)
from tests.e2e.servers import wait_for
from tests.ingest.scans import pdf_with_text_pages, save, text_strip

PERSONAL_TABLES = (Person, Case, CaseNote, Document, StoredObject, PageText, Consent, Hold)
FULL_NAME = "Jamie Example"


def upload(client: TestClient, headers: dict, case_id: int, path: Path, date: str) -> int:
    with path.open("rb") as body:
        answer = client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": (path.name, body, "application/octet-stream")},
            data={"correspondence_date": date, "provided_by": "school"},
            headers=headers,
        )
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def upload_three(
    client: TestClient, headers: dict, case_id: int, folder: Path, dates: tuple[str, str, str]
) -> list[int]:
    """A scanned review (words about speech therapy), a tribunal bundle and a
    psychologist's report, dated ``dates``."""
    review, bundle, report = dates
    return [
        upload(client, headers, case_id, save(text_strip(), folder / "review.png"), review),
        upload(
            client, headers, case_id, pdf_with_text_pages(folder / "bundle.pdf", [("Tribunal hearing bundle",)]), bundle
        ),
        upload(
            client,
            headers,
            case_id,
            pdf_with_text_pages(folder / "report.pdf", [("Educational psychologist report",)]),
            report,
        ),
    ]


def stored_keys(container: Services) -> set[str]:
    with container.new_session() as session:
        return set(session.exec(select(StoredObject.object_key)).all())


def keys_in(container: Services, tier: Tier) -> set[str]:
    return {v.key for v in container.vault.store.list_versions(tier=tier)}


def raw_store(container: Services, tier: Tier) -> list[str]:
    """Every version and delete marker the store holds in a tier, whoever they belong to."""
    return [f"{v.key}@{v.version_id}" for v in container.vault.store.list_versions(tier=tier)]


def hits(client: TestClient, headers: dict, words: str) -> list[dict]:
    answer = client.get("/api/v1/search", params={"q": words}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def assert_nothing_left_but_a_certificate(
    container: Services, client: TestClient, manager: dict, *, pseudonym: str, born: dt.date
) -> None:
    """No object, version or delete marker in any tier, no personal row, no data
    key, no search hit; one certificate naming no one; the audit chain intact."""
    for tier in Tier:  # what stays is the audit trail's anchors: row ids and MACs, nothing about anyone
        assert [key for key in raw_store(container, tier) if not is_audit_object(key.split("@")[0])] == []
    assert not container.vault.has_key(subject=pseudonym)
    with container.new_session() as session:
        for table in (*PERSONAL_TABLES, DataKey):
            assert session.exec(select(func.count()).select_from(table)).one() == 0, table.__name__
        if session.get_bind().dialect.name == "sqlite":
            fts = session.execute(
                sa.text(
                    "SELECT count(*) FROM page_text_fts WHERE page_text_fts MATCH 'tribunal OR psychologist OR speech'"
                )
            ).scalar()
            assert fts == 0
    assert hits(client, manager, "tribunal") == [] and hits(client, manager, "psychologist") == []
    [certificate] = client.get("/api/v1/certificates", headers=manager).json()["certificates"]
    assert certificate["subject"] == pseudonym
    # each document's original, searchable PDF and words (OCR positions, for redaction)
    assert (certificate["cases"], certificate["documents"], certificate["objects"]) == (2, 3, 9)
    assert certificate["object_versions"] >= 9 and certificate["rule"] == "destroy-at-age"
    assert not [told for told in (*FULL_NAME.split(), born.isoformat()) if told in str(certificate)]
    verified = CliRunner().invoke(audit_group, ["verify"], obj=container)
    assert verified.exit_code == 0 and "audit chain intact" in verified.output


def sweeps_done(container: Services) -> list[dict[str, Any]]:
    """What each finished sweep recorded: as_of and how many items due, done, skipped..."""
    with container.new_session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == "retention.sweep").order_by(col(AuditEvent.id))
        ).all()
    return [json.loads(row.details) for row in rows]


def sweep_by_worker(container: Services, *as_of: str, within: float = 60) -> dict[str, Any]:
    """Send the sweep through the broker, as beat does, and wait until the worker has recorded it."""
    before = len(sweeps_done(container))
    container.celery.send_task(SWEEP_TASK, args=list(as_of))
    wait_for(lambda: len(sweeps_done(container)) > before, within, f"the worker's sweep as of {as_of or 'today'}")
    [report] = sweeps_done(container)[before:]
    return report
