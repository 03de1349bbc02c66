"""Answers name users by username (keeping their ids), and cases by reference and person."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, DestructionCertificate, Document, ProvidedBy


def test_a_note_names_its_author(client: TestClient, callers, case) -> None:
    olive = callers["officer"]
    note = {"kind": "progress_summary", "text": "Met the family.", "date": "2026-10-01"}

    written = client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=olive.headers).json()
    [listed] = client.get(f"/api/v1/cases/{case['id']}/notes", headers=callers["manager"].headers).json()["items"]

    assert (written["author"], written["author_id"]) == ("olive", olive.user_id)
    assert (listed["author"], listed["author_id"]) == ("olive", olive.user_id)


def test_a_document_names_who_uploaded_it(client: TestClient, container: Services, callers, case) -> None:
    olive = callers["officer"]
    with transaction(container.new_session) as session:
        session.add(
            Document(
                case_id=case["id"],
                original_filename="letter.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                correspondence_date=dt.date(2026, 9, 2),
                provided_by=ProvidedBy.school,
                uploaded_by=olive.user_id,
            )
        )
    [listed] = client.get(f"/api/v1/cases/{case['id']}/documents", headers=olive.headers).json()["items"]
    read = client.get(f"/api/v1/documents/{listed['id']}", headers=callers["manager"].headers).json()

    assert (listed["uploaded_by"], listed["uploaded_by_id"]) == ("olive", olive.user_id)
    assert (read["uploaded_by"], read["uploaded_by_id"]) == ("olive", olive.user_id)


def test_a_case_read_on_its_own_names_its_person_and_officer(client: TestClient, callers, case, person) -> None:
    for caller in ("officer", "manager"):
        read = client.get(f"/api/v1/cases/{case['id']}", headers=callers[caller].headers).json()
        assert (read["reference"], read["person_name"], read["assigned_officer"]) == (
            case["reference"],
            person["full_name"],
            "olive",
        )


def test_a_hold_names_who_placed_and_released_it(client: TestClient, callers, case) -> None:
    maya = callers["manager"]
    body = {"case_id": case["id"], "kind": "complaint", "reason": "Complaint received."}

    placed = client.post("/api/v1/holds", json=body, headers=maya.headers).json()
    released = client.delete(f"/api/v1/holds/{placed['id']}", headers=maya.headers).json()
    [listed] = client.get("/api/v1/holds", params={"standing": "false"}, headers=maya.headers).json()["holds"]

    assert (placed["placed_by"], placed["placed_by_id"], placed["released_by"]) == ("maya", maya.user_id, None)
    assert (released["released_by"], released["released_by_id"]) == ("maya", maya.user_id)
    assert (listed["placed_by"], listed["released_by"]) == ("maya", "maya")


def test_a_certificate_names_the_approving_manager_or_the_system(
    client: TestClient, container: Services, callers
) -> None:
    maya = callers["manager"]
    with transaction(container.new_session) as session:
        for subject, authority in (
            ("p_approved", f"manager user:{maya.user_id}, schedule 2026.1 rule destroy-at-age"),
            ("p_scheduled", "schedule 2026.1 rule destroy-at-age"),
        ):
            session.add(
                DestructionCertificate(
                    subject=subject,
                    schedule_version="2026.1",
                    rule="destroy-at-age",
                    cases=1,
                    documents=0,
                    objects=0,
                    object_versions=0,
                    bytes=0,
                    method="crypto-shredding",
                    authorised_by=authority,
                )
            )

    certificates = client.get("/api/v1/certificates", headers=maya.headers).json()["certificates"]

    assert {c["subject"]: (c["authorised_by"], c["authorised_by_id"]) for c in certificates} == {
        "p_approved": ("maya", maya.user_id),
        "p_scheduled": ("system", None),
    }
    assert "user:" not in str(certificates)


def test_the_audit_log_names_the_user_and_keeps_the_hashed_actor(
    client: TestClient, container: Services, callers, case
) -> None:
    olive = callers["officer"]
    client.get(f"/api/v1/people/{case['person_id']}", headers=olive.headers)

    events = client.get("/api/v1/audit", params={"action": "person.read"}, headers=callers["admin"].headers).json()
    [event] = events["events"]

    assert (event["actor"], event["actor_username"]) == (f"user:{olive.user_id}", "olive")
    with transaction(container.new_session) as session:
        stored = session.exec(select(AuditEvent).where(AuditEvent.id == event["id"])).one()
        assert (stored.actor, stored.hash) == (event["actor"], event["hash"])  # what the chain hashed, unchanged
        assert audit.verify_chain(session, mac_key=audit.session_mac_key(session)).ok


def test_the_system_has_no_username(client: TestClient, container: Services, callers) -> None:
    with transaction(container.new_session) as session:
        audit.record(session, clock=container.clock, actor="system", action="retention.sweep")
    [event] = client.get(
        "/api/v1/audit", params={"action": "retention.sweep"}, headers=callers["admin"].headers
    ).json()["events"]
    assert (event["actor"], event["actor_username"]) == ("system", None)
