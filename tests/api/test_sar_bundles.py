"""A subject access bundle through the API: build (the task taken off the real broker and
run here, as the other API tests run OCR), follow, read the index, download, approve,
deliver; what the store holds of it is unreadable, and nothing is left in scratch."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.app.task_queue import LIFECYCLE_QUEUE, SAR_BUNDLE_TASK, broker_name
from casevault.core.clock import FixedClock
from casevault.core.models import AuditEvent, ItemDecision, Person, ProvidedBy, SarBundle, Tier
from tests.ingest.uploads import stored_bytes
from tests.sar_requests import add_note, add_pdf_document, mark, open_request, redact_region, redact_term

NOTE_WORDS = "Agreed with Ms Thistlewood to ask for an annual review"


@pytest.fixture
def marked(container: Services, callers: dict, person: dict, case: dict, tmp_path: Path) -> dict:
    """A request on the person: a school report disclosed, the young person's own letter
    withheld, a note disclosed; and one more document left unmarked until the test marks it."""
    init_storage(container.settings)
    with container.new_session() as session:
        subject = session.get(Person, person["id"]).pseudonym
    report = add_pdf_document(
        container, tmp_path, case_id=case["id"], subject=subject, pages=[("Annual review report",), ("Targets met",)]
    )
    own = add_pdf_document(
        container,
        tmp_path,
        case_id=case["id"],
        subject=subject,
        pages=[("My private letter marmalade",)],
        provided_by=ProvidedBy.young_person,
        name="my-letter.pdf",
    )
    note = add_note(container, case_id=case["id"], text=NOTE_WORDS)
    request_id = open_request(container, person_id=person["id"], opened_by=callers["manager"].user_id)
    mark(container, request_id, ItemDecision.disclosed, "released in full", document_id=report)
    mark(container, request_id, ItemDecision.withheld, "the young person has not agreed", document_id=own)
    return {"request_id": request_id, "note": note, "subject": subject}


def sent_bundle_ids(container: Services) -> list[int]:
    """Take the bundle tasks off the broker's queue: their arguments, which must be ids only."""
    found = []
    with container.celery.connection_for_read() as connection:
        queue = connection.SimpleQueue(broker_name(container.settings, LIFECYCLE_QUEUE))
        while True:
            try:
                message = queue.get(timeout=2)
            except queue.Empty:
                break
            message.ack()
            if message.headers["task"] == SAR_BUNDLE_TASK:
                args = message.payload[0]
                assert all(isinstance(arg, int) for arg in args), args
                found.append(args[0])
        queue.close()
    return found


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "got.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", str(tmp_path / "got.pdf"), "-"], capture_output=True, text=True).stdout


def test_a_manager_builds_reviews_approves_and_delivers_the_bundle(
    client: TestClient, container: Services, callers: dict, marked: dict, tmp_path: Path
) -> None:
    manager, officer = callers["manager"].headers, callers["officer"].headers
    url = f"/api/v1/subject-access/{marked['request_id']}"

    refused = client.post(f"{url}/bundle", headers=manager)
    assert refused.status_code == 409 and "not marked yet" in refused.json()["detail"]
    assert "/items" in refused.json()["detail"]
    mark(container, marked["request_id"], ItemDecision.disclosed, "released in full", note_id=marked["note"])

    assert client.post(f"{url}/bundle", headers=officer).status_code == 403
    started = client.post(f"{url}/bundle", headers=manager)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "building" and started.json()["progress"] == 0
    assert client.post(f"{url}/bundle", headers=manager).status_code == 409  # one build at a time
    assert client.get(f"{url}/bundle.pdf", headers=manager).status_code == 409  # nothing to read yet

    (bundle_id,) = sent_bundle_ids(container)
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "built"
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "built"  # a redelivered task changes nothing
    assert list((container.settings.data_dir / "tmp").iterdir()) == []  # no plaintext left in scratch

    shown = client.get(f"{url}/bundle", headers=manager).json()
    assert (shown["status"], shown["progress"]) == ("built", 100)
    index = shown["index"]
    assert [(row["type"], row["decision"]) for row in index] == [
        ("letter.pdf", "disclosed"),
        ("my-letter.pdf", "withheld"),
        ("progress summary", "disclosed"),
    ]
    assert index[1]["pages"] == "none" and index[1]["reason"] == "the young person has not agreed"
    assert index[2]["last_page"] == shown["pages"]

    pdf = client.get(f"{url}/bundle.pdf", headers=manager)
    assert pdf.status_code == 200 and pdf.headers["cache-control"] == "no-store"
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "Annual review report" in text and "Thistlewood" in text and "marmalade" not in text
    assert f"page {shown['pages']} of {shown['pages']}" in text
    notes = client.get(f"{url}/notes.csv", headers=manager)
    rows = list(csv.DictReader(io.StringIO(notes.content.decode("utf-8-sig"))))
    assert [row["text"] for row in rows] == [NOTE_WORDS]

    # The store holds neither the notes' words nor the reference in readable form.
    reference = shown["reference"].encode()
    assert reference in pdf.content and NOTE_WORDS.encode() in notes.content
    blobs = stored_bytes(container)
    assert blobs and not any(reference in blob or b"Thistlewood" in blob for blob in blobs)

    # Built again (a decision changed, say): the new files replace the old, which leave the store.
    with container.new_session() as session:
        first = session.exec(select(SarBundle)).one()
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    (again,) = sent_bundle_ids(container)
    assert again == first.id and container.sar_bundles.build(bundle_id=again).value == "built"
    with container.new_session() as session:
        second = session.exec(select(SarBundle)).one()
    assert {second.pdf_key, second.csv_key}.isdisjoint({first.pdf_key, first.csv_key})
    for key in (first.pdf_key, first.csv_key):
        assert container.vault.store.versions_of(tier=Tier.active, keys=[key]) == []
    assert client.get(f"{url}/bundle", headers=manager).json()["index"] == index

    delivery = {"method": "post", "delivered_on": "2026-11-24"}
    assert client.post(f"{url}/bundle/delivery", json=delivery, headers=manager).status_code == 409  # not approved
    approved = client.post(f"{url}/bundle/approve", headers=manager)
    assert approved.status_code == 200 and approved.json()["approved_by"] == callers["manager"].user_id
    assert client.post(f"{url}/bundle", headers=manager).status_code == 409  # approved: not built again
    too_late = client.post(f"{url}/bundle/delivery", json={**delivery, "delivered_on": "2026-12-01"}, headers=manager)
    assert too_late.status_code == 422 and "today" in too_late.json()["detail"]
    delivered = client.post(f"{url}/bundle/delivery", json=delivery, headers=manager)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["destroy_on"] == str(dt.date(2026, 11, 24) + dt.timedelta(days=90))
    assert client.post(f"{url}/bundle/approve", headers=manager).status_code == 409

    with container.new_session() as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.details).where(AuditEvent.subject_id == str(marked["request_id"]))
        ).all()
    audited = [action for action, _ in actions]
    for action in ("sar.bundle.build", "sar.bundle.built", "sar.bundle.read", "sar.bundle.approve"):
        assert action in audited
    assert "sar.bundle.delivered" in audited
    # Each download is audited; reading the status (the page polls it while it builds) is not.
    reads = [json.loads(details)["part"] for action, details in actions if action == "sar.bundle.read"]
    assert sorted(reads) == ["csv", "pdf"]
    assert not any("Thistlewood" in str(details) or "Pat Example" in str(details) for _, details in actions)


def test_a_bundle_that_cannot_be_built_fails_saying_what_to_do(
    client: TestClient, container: Services, callers: dict, marked: dict, tmp_path: Path
) -> None:
    manager = callers["manager"].headers
    url = f"/api/v1/subject-access/{marked['request_id']}"
    mark(container, marked["request_id"], ItemDecision.partly_disclosed, "a name removed", note_id=marked["note"])
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    (bundle_id,) = sent_bundle_ids(container)
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "failed"
    shown = client.get(f"{url}/bundle", headers=manager).json()
    assert shown["status"] == "failed" and "disclosed or withheld whole" in shown["problem"]
    assert "build the bundle again" in shown["problem"]
    assert list((container.settings.data_dir / "tmp").iterdir()) == []
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202  # a failed bundle is built again


def test_a_bundle_whose_task_was_lost_is_built_again_after_an_hour(
    client: TestClient, container: Services, clock: FixedClock, callers: dict, marked: dict
) -> None:
    manager = callers["manager"].headers
    url = f"/api/v1/subject-access/{marked['request_id']}"
    mark(container, marked["request_id"], ItemDecision.disclosed, "released in full", note_id=marked["note"])
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    assert len(sent_bundle_ids(container)) == 1  # taken off the queue and lost: no worker builds it
    clock.advance(dt.timedelta(minutes=59))
    waiting = client.post(f"{url}/bundle", headers=manager)
    assert waiting.status_code == 409 and "being built" in waiting.json()["detail"]
    clock.advance(dt.timedelta(minutes=2))
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    (bundle_id,) = sent_bundle_ids(container)
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "built"


def test_an_approved_bundle_is_built_again_when_its_redactions_change(
    client: TestClient, container: Services, callers: dict, marked: dict
) -> None:
    manager = callers["manager"].headers
    url = f"/api/v1/subject-access/{marked['request_id']}"
    mark(container, marked["request_id"], ItemDecision.disclosed, "released in full", note_id=marked["note"])
    unbuilt = client.post(f"{url}/bundle/approve", headers=manager).json()["detail"]
    assert unbuilt.endswith("has not been built: build it, then approve it")
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    (bundle_id,) = sent_bundle_ids(container)
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "built"
    assert client.post(f"{url}/bundle/approve", headers=manager).status_code == 200
    assert "is already approved" in client.post(f"{url}/bundle/approve", headers=manager).json()["detail"]

    [report] = [
        item["document_id"] for item in client.get(url, headers=manager).json()["items"] if item["document_id"]
    ][:1]
    region = {"left": 0.1, "top": 0.1, "width": 0.3, "height": 0.1}
    body = {"document_id": report, "page": 1, "region": region, "category": "third_party", "legal_basis": "Art. 15(4)"}
    assert client.post(f"{url}/redactions", json=body, headers=manager).status_code == 201
    shown = client.get(f"{url}/bundle", headers=manager).json()
    assert shown["status"] == "failed" and "build it again and approve it again" in shown["problem"]
    delivery = {"method": "post", "delivered_on": "2026-11-24"}
    refused = client.post(f"{url}/bundle/delivery", json=delivery, headers=manager)
    assert refused.status_code == 409 and "approve it first" in refused.json()["detail"]


def test_an_unknown_request_answers_404(client: TestClient, callers: dict) -> None:
    manager = callers["manager"].headers
    for path in ("bundle", "bundle.pdf", "notes.csv"):
        assert client.get(f"/api/v1/subject-access/999/{path}", headers=manager).status_code == 404
    assert client.post("/api/v1/subject-access/999/bundle/approve", headers=manager).status_code == 404


def test_a_third_partys_name_redacted_by_term_and_a_region_is_gone_from_the_bundle(
    client: TestClient, container: Services, callers: dict, marked: dict, case: dict, tmp_path: Path
) -> None:
    """Through the real redaction: the name is absent from the bundle's text, the rest stays."""
    manager = callers["manager"].headers
    url = f"/api/v1/subject-access/{marked['request_id']}"
    clinic = add_pdf_document(
        container,
        tmp_path,
        case_id=case["id"],
        subject=marked["subject"],
        pages=[("Seen by Dr Quillfeather today",), ("Therapy plan agreed",), ("Private page about Marchbanks",)],
        provided_by=ProvidedBy.professional,
        name="clinic.pdf",
    )
    mark(container, marked["request_id"], ItemDecision.disclosed, "released in full", note_id=marked["note"])
    mark(container, marked["request_id"], ItemDecision.partly_disclosed, "third party removed", document_id=clinic)
    redact_term(container, marked["request_id"], document_id=clinic, term="Quillfeather", by=callers["manager"].user_id)
    redact_region(container, marked["request_id"], document_id=clinic, page=3, redacted_by=callers["manager"].user_id)
    assert client.post(f"{url}/bundle", headers=manager).status_code == 202
    (bundle_id,) = sent_bundle_ids(container)
    assert container.sar_bundles.build(bundle_id=bundle_id).value == "built"

    text = pdf_text(client.get(f"{url}/bundle.pdf", headers=manager).content, tmp_path)
    assert "Therapy plan agreed" in text and "Seen by" in text  # what was not redacted is still there
    assert "Quillfeather" not in text and "Marchbanks" not in text
    assert list((container.settings.data_dir / "tmp").iterdir()) == []
