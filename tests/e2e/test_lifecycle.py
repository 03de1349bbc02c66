"""One young person's whole life in casevault, on both storage backends, with an
injected clock: three documents uploaded through the API and OCR'd, closure,
archive, re-referral and restore, a hold that stops destruction at 25, its
release, and destruction. Afterwards nothing of them is left anywhere but a
certificate that names no one, and the audit chain still verifies.

OCR runs in this process through the service function the OCR task wraps (the
worker itself is exercised by tests/e2e/test_ocr_worker.py); restores are finished
by the sweep, as they are when the restore task is lost.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.cli import audit_group
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import (
    Case,
    CaseNote,
    Consent,
    ConsentScope,
    DataKey,
    Document,
    DocumentStatus,
    Hold,
    PageText,
    Person,
    Role,
    StoredObject,
    Tier,
)
from casevault.core.users import create_user
from casevault.ingest import service
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.retention.parts import Lifecycle
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from casevault.wiring import Container
from tests.ingest.scans import pdf_with_text_pages, save, text_strip

BORN = dt.date(2004, 3, 10)  # 25 on 10 March 2029
PERSONAL_TABLES = (Person, Case, CaseNote, Document, StoredObject, PageText, Consent, Hold)


def _token(container: Container, name: str, role: Role) -> dict[str, str]:
    with transaction(container.new_session) as session:
        _, token = create_user(session, username=name, role=role, clock=container.clock)
    return {"Authorization": f"Bearer {token}"}


def _upload(backend_client: TestClient, headers: dict, case_id: int, path: Path, date: str) -> int:
    with path.open("rb") as body:
        answer = backend_client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": (path.name, body, "application/octet-stream")},
            data={"correspondence_date": date, "provided_by": "school"},
            headers=headers,
        )
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def _ocr(container: Container, document_id: int) -> DocumentStatus:
    """What the OCR task does, here in the test process."""
    settings = container.settings
    return service.process(
        new_session=container.new_session, vault=container.vault, options=OcrOptions.from_settings(settings),
        limits=UploadLimits.from_settings(settings), scratch=settings.data_dir / "tmp", clock=container.clock,
        document_id=document_id,
    )


def _raw_store(container: Container, tier: Tier) -> list[str]:
    """Every version and delete marker the store holds in a tier, whoever they belong to."""
    return [f"{v.key}@{v.version_id}" for v in container.vault.store.list_versions(tier=tier)]


def _keys_in(container: Container, tier: Tier) -> set[str]:
    return {v.key for v in container.vault.store.list_versions(tier=tier)}


def _sweep(container: Container):  # type: ignore[no-untyped-def]
    return run_sweep(Lifecycle.of(container), dry_run=False)


def _hits(backend_client: TestClient, headers: dict, words: str) -> list[dict]:
    answer = backend_client.get("/api/v1/search", params={"q": words}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["hits"]


def test_a_young_persons_life_from_referral_to_destruction(backend_container: Container, backend_client: TestClient, tmp_path: Path) -> None:
    clock: FixedClock = backend_container.clock  # type: ignore[assignment]
    officer, manager = _token(backend_container, "olive", Role.officer), _token(backend_container, "maya", Role.manager)

    # --- referral, three documents, OCR --------------------------------------------------
    person = backend_client.post("/api/v1/people", json={"full_name": "Jamie Example", "date_of_birth": BORN.isoformat()}, headers=officer).json()
    case = backend_client.post("/api/v1/cases", json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}, headers=officer).json()
    documents = [
        _upload(backend_client, officer, case["id"], save(text_strip(), tmp_path / "review.png"), "2026-09-10"),
        _upload(backend_client, officer, case["id"], pdf_with_text_pages(tmp_path / "bundle.pdf", [("Tribunal hearing bundle",)]), "2026-10-02"),
        _upload(backend_client, officer, case["id"], pdf_with_text_pages(tmp_path / "report.pdf", [("Educational psychologist report",)]), "2026-11-01"),
    ]
    assert [_ocr(backend_container, d) for d in documents] == [DocumentStatus.ready] * 3
    assert backend_client.post(f"/api/v1/cases/{case['id']}/notes", json={"kind": "progress_summary", "text": "Met Jamie's parents.", "date": "2026-11-02"}, headers=officer).status_code == 201
    with transaction(backend_container.new_session) as session:
        session.add(Consent(person_id=person["id"], scope=ConsentScope.store_electronically, given_on=dt.date(2026, 9, 1)))
    assert _hits(backend_client, officer, "tribunal") and _hits(backend_client, officer, "speech therapy")
    with backend_container.new_session() as session:
        keys = set(session.exec(select(StoredObject.object_key)).all())
    assert len(keys) == 6  # original and searchable of each
    assert _keys_in(backend_container, Tier.active) == keys

    # --- closure and archive ---------------------------------------------------------------
    closed = backend_client.post(f"/api/v1/cases/{case['id']}/close", json={"closed_on": "2026-11-20", "outcome": "Plan agreed."}, headers=officer)
    assert closed.status_code == 200, closed.text
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1
    assert _keys_in(backend_container, Tier.active) == set() and _keys_in(backend_container, Tier.archive) == keys
    for key in keys:
        tags = backend_container.vault.get_tags(object_key=key, tier=Tier.archive)
        assert (tags.tier, tags.disposition_month) == (Tier.archive, "2027-11")  # last letter 2026-11-02 + 12 months
    archived = backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()
    assert (archived["status"], archived["archive_until"]) == ("archived", "2027-11-02")

    # --- re-referral: the archived case comes back ----------------------------------------
    clock.set(dt.date(2027, 6, 1))
    again = backend_client.post("/api/v1/cases", json={"person_id": person["id"], "referral_date": "2027-06-01", "referral_source": "young_person"}, headers=officer)
    assert again.status_code == 201, again.text
    assert backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["status"] == "restoring"
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1  # finishes the restore (the task's work)
    assert backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["status"] == "open"
    assert _keys_in(backend_container, Tier.archive) == set() and _keys_in(backend_container, Tier.active) == keys
    assert _hits(backend_client, officer, "psychologist")

    # --- a hold stops destruction at the 25th birthday ------------------------------------
    hold = backend_client.post("/api/v1/holds", json={"person_id": person["id"], "kind": "legal", "reason": "Tribunal appeal pending"}, headers=manager).json()
    clock.set(dt.date(2029, 3, 9))
    assert _sweep(backend_container).due == ()  # a day before the birthday nothing is due
    clock.set(BORN.replace(year=2029))
    held = _sweep(backend_container)
    assert [i.action.held for i in held.due] == [True] and held.count(StepOutcomeKind.done) == 0
    due = backend_client.get("/api/v1/retention/due", headers=manager).json()["items"]
    assert [(i["kind"], i["held"]) for i in due] == [("destroy_person", True)]
    assert _keys_in(backend_container, Tier.active) == keys and backend_container.vault.has_key(subject=person["pseudonym"])

    # --- release, destruction -----------------------------------------------------------------
    assert backend_client.delete(f"/api/v1/holds/{hold['id']}", headers=manager).status_code == 200
    clock.advance(dt.timedelta(days=1))
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1

    for tier in Tier:
        assert _raw_store(backend_container, tier) == []  # no object, no version, no delete marker
    assert not backend_container.vault.has_key(subject=person["pseudonym"])
    with backend_container.new_session() as session:
        for table in (*PERSONAL_TABLES, DataKey):
            assert session.exec(select(func.count()).select_from(table)).one() == 0, table.__name__
        if session.get_bind().dialect.name == "sqlite":
            fts = session.execute(sa.text("SELECT count(*) FROM page_text_fts WHERE page_text_fts MATCH 'tribunal OR psychologist OR speech'")).scalar()
            assert fts == 0
    assert _hits(backend_client, manager, "tribunal") == [] and _hits(backend_client, manager, "psychologist") == []
    [certificate] = backend_client.get("/api/v1/certificates", headers=manager).json()["certificates"]
    assert certificate["subject"] == person["pseudonym"]
    assert (certificate["cases"], certificate["documents"], certificate["objects"]) == (2, 3, 6)
    assert certificate["object_versions"] >= 6 and certificate["rule"] == "destroy-at-age"
    assert "Jamie" not in str(certificate) and "2004" not in str(certificate)
    verified = CliRunner().invoke(audit_group, ["verify"], obj=backend_container)
    assert verified.exit_code == 0 and "audit chain intact" in verified.output
