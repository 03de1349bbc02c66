"""Correcting mistakes through the API: a person's details, a misfiled document, a document
uploaded in error, a note's text, a case's officer. Each for every role, allowed and
refused; moves and removals on each storage backend, read back from the store."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.services import Services
from casevault.archive.fixity import DEFAULT_GRACE, verify_storage
from casevault.archive.tags import RETIRED
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.errors import IntegrityFailure
from casevault.core.models import (
    AuditEvent,
    Case,
    CaseNoteVersion,
    CaseStatus,
    DestructionApproval,
    DestructionJob,
    Document,
    DocumentDisposal,
    DocumentMove,
    DocumentStatus,
    Hold,
    HoldKind,
    LeaseRecord,
    PageText,
    Person,
    ProvidedBy,
    Role,
    StoredObject,
    Tier,
)
from casevault.retention import claims
from casevault.retention.destroy import delete_personal_rows
from casevault.retention.parts import DEFAULT_LEASE
from casevault.retention.tagging import lifecycle_tags
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import run_ocr, stored_bytes, upload
from tests.people import CONSENT
from tests.tokens import token

API = "/api/v1"
REASON = "Filed under the wrong young person by mistake"


def _person(client: TestClient, headers: dict, *, name: str = "Alex Other", born: str = "2013-05-06") -> dict:
    response = client.post(
        f"{API}/people", json={"full_name": name, "date_of_birth": born, "consent": CONSENT}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _case(client: TestClient, headers: dict, person_id: int, *, officer: str | None = None) -> dict:
    body = {"person_id": person_id, "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    if officer:
        body["assigned_officer"] = officer
    response = client.post(f"{API}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _document(container: Services, case_id: int, *, sha256: str = "0" * 64) -> int:
    """A document row without stored objects: enough for the access rules and refusals."""
    with transaction(container.new_session) as session:
        row = Document(
            case_id=case_id,
            original_filename="letter.pdf",
            content_type="application/pdf",
            size=10,
            sha256=sha256,
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=ProvidedBy.school,
            status=DocumentStatus.ready,
        )
        session.add(row)
        session.flush()
        session.add(PageText(document_id=row.id, page=1, text="Annual review of provision"))
        return row.id  # type: ignore[return-value]


def _set_status(container: Services, case_id: int, status: CaseStatus) -> None:
    with transaction(container.new_session) as session:
        case = session.get(Case, case_id)
        case.status = status
        if status is not CaseStatus.open:
            case.closed_on = dt.date(2026, 10, 1)
        session.add(case)


def _events(container: Services, action: str) -> list[AuditEvent]:
    with container.new_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _headers(callers, role: str) -> dict:
    return {} if role == "anonymous" else callers[role].headers


ROLES = {"officer": 200, "other_officer": 404, "manager": 200, "admin": 403, "anonymous": 401}


# --- PATCH /people/{id} ---------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_correcting_a_person_for_each_role(client: TestClient, callers, person, case, role: str) -> None:
    response = client.patch(
        f"{API}/people/{person['id']}", json={"full_name": "  Jamie Corrected "}, headers=_headers(callers, role)
    )
    assert response.status_code == ROLES[role], response.text
    shown = client.get(f"{API}/people/{person['id']}", headers=callers["manager"].headers).json()
    assert shown["full_name"] == ("Jamie Corrected" if ROLES[role] == 200 else "Jamie Example")


def test_an_officer_corrects_details_and_the_audit_names_only_fields(
    client: TestClient, container: Services, callers, person, case
) -> None:
    officer = callers["officer"].headers
    body = {"date_of_birth": "2011-07-08", "contact_details": None}
    response = client.patch(f"{API}/people/{person['id']}", json=body, headers=officer)
    assert response.status_code == 200, response.text
    assert (response.json()["date_of_birth"], response.json()["contact_details"]) == ("2011-07-08", None)
    assert response.json()["full_name"] == "Jamie Example"  # not sent: unchanged
    [event] = _events(container, "person.update")
    assert event.actor == f"user:{callers['officer'].user_id}"
    assert "date_of_birth" in event.details and "2011" not in event.details and "Jamie" not in event.details


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"date_of_birth": "2001-11-23"}, "past the destruction date"),  # 25 on 2026-11-23, before today
        ({"date_of_birth": "2026-11-25"}, "in the future"),
        ({"date_of_birth": "1899-12-31"}, "1900-01-01"),
        ({"date_of_birth": "2026-02-30"}, "date"),
        ({"date_of_birth": "2026-09-02"}, "after the referral date of case"),
        ({"full_name": None}, "cannot be removed"),
        ({"full_name": "   "}, "blank"),
        ({}, "at least one"),
        ({"nickname": "J"}, "nickname"),
    ],
)
def test_impossible_corrections_are_refused_saying_why(
    client: TestClient, container: Services, callers, person, case, body: dict, says: str
) -> None:
    response = client.patch(f"{API}/people/{person['id']}", json=body, headers=callers["officer"].headers)
    assert response.status_code == 422, response.text
    assert says in response.text
    with container.new_session() as session:
        stored = session.get(Person, person["id"])
        assert (stored.full_name, stored.date_of_birth) == ("Jamie Example", dt.date(2012, 3, 4))


def test_a_new_date_of_birth_withdraws_an_approval_given_for_the_old_one(
    client: TestClient, container: Services, callers, person, case
) -> None:
    with transaction(container.new_session) as session:
        session.add(DestructionApproval(person_id=person["id"], approved_by=callers["manager"].user_id))
    response = client.patch(
        f"{API}/people/{person['id']}", json={"date_of_birth": "2012-03-05"}, headers=callers["manager"].headers
    )
    assert response.status_code == 200, response.text
    with container.new_session() as session:
        assert session.get(DestructionApproval, person["id"]) is None


def test_no_correction_while_the_person_is_being_destroyed(
    client: TestClient, container: Services, callers, person, case
) -> None:
    with transaction(container.new_session) as session:
        session.add(
            DestructionJob(
                person_id=person["id"],
                subject=person["pseudonym"],
                schedule_version="1",
                rule="r",
                authorised_by="test",
            )
        )
    response = client.patch(
        f"{API}/people/{person['id']}", json={"date_of_birth": "2012-03-05"}, headers=callers["manager"].headers
    )
    assert response.status_code == 409
    assert "being destroyed" in response.json()["detail"]


# --- PATCH /notes/{id}, GET /notes/{id}/versions ---------------------------------------


@pytest.fixture
def note(client: TestClient, callers, case) -> dict:
    body = {"kind": "progress_summary", "text": "Met the famly.", "date": "2026-10-01"}
    response = client.post(f"{API}/cases/{case['id']}/notes", json=body, headers=callers["officer"].headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_amended_note_keeps_its_earlier_texts_page_by_page(
    client: TestClient, container: Services, callers, note
) -> None:
    officer, manager = callers["officer"].headers, callers["manager"].headers
    first = client.patch(
        f"{API}/notes/{note['id']}", json={"text": "Met the family.", "reason": "typo"}, headers=officer
    )
    assert first.status_code == 200, first.text
    assert first.json()["text"] == "Met the family."
    second = client.patch(
        f"{API}/notes/{note['id']}", json={"text": "Met the family at school.", "reason": "where"}, headers=manager
    )
    assert second.status_code == 200, second.text

    page = client.get(f"{API}/notes/{note['id']}/versions", params={"limit": 1}, headers=officer).json()
    assert [(v["version"], v["text"], v["reason"]) for v in page["items"]] == [(1, "Met the famly.", "typo")]
    assert (page["items"][0]["written_by"], page["items"][0]["written_by_id"]) == ("olive", callers["officer"].user_id)
    assert page["items"][0]["replaced_by"] == "olive"
    rest = client.get(
        f"{API}/notes/{note['id']}/versions", params={"limit": 1, "cursor": page["next_cursor"]}, headers=officer
    ).json()
    assert [(v["version"], v["text"], v["replaced_by"]) for v in rest["items"]] == [(2, "Met the family.", "maya")]
    assert rest["next_cursor"] is None
    notes = client.get(f"{API}/cases/{note['case_id']}/notes", headers=officer).json()["items"]
    assert [n["text"] for n in notes] == ["Met the family at school."]
    events = _events(container, "note.amend")
    assert [e.details for e in events] == [
        f'{{"case":{note["case_id"]},"version":1}}',
        f'{{"case":{note["case_id"]},"version":2}}',
    ]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_amending_and_reading_versions_for_each_role(client: TestClient, callers, note, role: str) -> None:
    headers = _headers(callers, role)
    amended = client.patch(f"{API}/notes/{note['id']}", json={"text": "Corrected.", "reason": "x"}, headers=headers)
    assert amended.status_code == ROLES[role], amended.text
    versions = client.get(f"{API}/notes/{note['id']}/versions", headers=headers)
    assert versions.status_code == ROLES[role], versions.text
    if ROLES[role] == 404:
        assert amended.json()["detail"] == versions.json()["detail"] == f"no note with id {note['id']}"


def test_a_note_of_a_destroyed_case_is_not_amended(client: TestClient, container: Services, callers, note) -> None:
    _set_status(container, note["case_id"], CaseStatus.destroyed)
    response = client.patch(
        f"{API}/notes/{note['id']}", json={"text": "Corrected.", "reason": "x"}, headers=callers["manager"].headers
    )
    assert response.status_code == 409
    assert "destroyed" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"), [({"text": "Met the famly.", "reason": "x"}, 422), ({"text": "New"}, 422), ({}, 422)]
)
def test_an_amendment_needs_new_text_and_a_reason(client: TestClient, callers, note, body: dict, status: int) -> None:
    assert (
        client.patch(f"{API}/notes/{note['id']}", json=body, headers=callers["officer"].headers).status_code == status
    )


# --- POST /cases/{id}/assign --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("manager", 200), ("officer", 403), ("other_officer", 403), ("admin", 403), ("anonymous", 401)]
)
def test_managers_assign_a_case_to_an_officer(client: TestClient, callers, case, role: str, status: int) -> None:
    response = client.post(
        f"{API}/cases/{case['id']}/assign", json={"officer": "oscar"}, headers=_headers(callers, role)
    )
    assert response.status_code == status, response.text
    oscar_sees = client.get(f"{API}/cases/{case['id']}", headers=callers["other_officer"].headers).status_code
    olive_sees = client.get(f"{API}/cases/{case['id']}", headers=callers["officer"].headers).status_code
    assert (oscar_sees, olive_sees) == ((200, 404) if status == 200 else (404, 200))
    if status == 200:
        assert response.json()["assigned_officer"] == "oscar"


@pytest.mark.parametrize("who", ["maya", "adam", "gone", "nobody"])
def test_only_an_active_officer_is_assigned(client: TestClient, container: Services, callers, case, who: str) -> None:
    token(container, "gone", Role.officer)
    client_headers = callers["manager"].headers
    with transaction(container.new_session) as session:
        from casevault.core.users import revoke_user

        revoke_user(session, username="gone", clock=container.clock)
    response = client.post(f"{API}/cases/{case['id']}/assign", json={"officer": who}, headers=client_headers)
    assert response.status_code == 422, response.text
    assert "cases are assigned to active officers only" in response.json()["detail"]


def test_a_destroyed_case_is_not_assigned(client: TestClient, container: Services, callers, case) -> None:
    _set_status(container, case["id"], CaseStatus.destroyed)
    response = client.post(
        f"{API}/cases/{case['id']}/assign", json={"officer": "oscar"}, headers=callers["manager"].headers
    )
    assert response.status_code == 409


# --- POST /documents/{id}/move: access and refusals ---------------------------------------


@pytest.mark.parametrize("role", sorted(ROLES))
def test_moving_a_document_for_each_role(
    client: TestClient, container: Services, callers, person, case, role: str
) -> None:
    second = _case(client, callers["officer"].headers, person["id"])
    document = _document(container, case["id"])
    response = client.post(
        f"{API}/documents/{document}/move",
        json={"case_id": second["id"], "reason": REASON},
        headers=_headers(callers, role),
    )
    assert response.status_code == ROLES[role], response.text
    with container.new_session() as session:
        moved = session.get(Document, document)
        assert moved.case_id == (second["id"] if ROLES[role] == 200 else case["id"])
        assert len(session.exec(select(PageText).where(PageText.document_id == document)).all()) == 1


def test_a_move_keeps_its_reason_out_of_the_audit_log(
    client: TestClient, container: Services, callers, person, case
) -> None:
    second = _case(client, callers["officer"].headers, person["id"])
    document = _document(container, case["id"])
    response = client.post(
        f"{API}/documents/{document}/move",
        json={"case_id": second["id"], "reason": REASON},
        headers=callers["officer"].headers,
    )
    assert response.json()["case_id"] == second["id"]
    with container.new_session() as session:
        [move] = session.exec(select(DocumentMove)).all()
        assert (move.from_case_id, move.to_case_id, move.reason, move.reencrypted) == (
            case["id"],
            second["id"],
            REASON,
            False,
        )
        assert session.get(Case, second["id"]).last_correspondence == dt.date(2026, 9, 2)
        assert session.get(Case, case["id"]).last_correspondence is None
    [event] = _events(container, "document.move")
    assert "wrong" not in event.details and f'"to_case":{second["id"]}' in event.details


def test_a_move_to_a_case_the_officer_may_not_change_answers_as_missing(
    client: TestClient, container: Services, callers, case
) -> None:
    elsewhere = _case(client, callers["other_officer"].headers, _person(client, callers["other_officer"].headers)["id"])
    document = _document(container, case["id"])
    response = client.post(
        f"{API}/documents/{document}/move",
        json={"case_id": elsewhere["id"], "reason": REASON},
        headers=callers["officer"].headers,
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"no case with id {elsewhere['id']}"


@pytest.mark.parametrize("refusal", ["same file", "archived", "restoring", "destroyed", "destroying", "queued"])
def test_a_move_is_refused_saying_why(
    client: TestClient, container: Services, callers, person, case, refusal: str
) -> None:
    other = _person(client, callers["officer"].headers)
    target = _case(client, callers["officer"].headers, other["id"])
    document = _document(container, case["id"])
    says = {"same file": "has this file already", "destroying": "being destroyed", "queued": "queued"}
    if refusal == "same file":
        _document(container, target["id"])
    elif refusal == "destroying":
        with transaction(container.new_session) as session:
            session.add(
                DestructionJob(
                    person_id=other["id"],
                    subject=other["pseudonym"],
                    schedule_version="1",
                    rule="r",
                    authorised_by="test",
                )
            )
    elif refusal == "queued":
        with transaction(container.new_session) as session:
            row = session.get(Document, document)
            row.status = DocumentStatus.queued
            session.add(row)
    else:
        _set_status(container, target["id"], CaseStatus(refusal))
    response = client.post(
        f"{API}/documents/{document}/move",
        json={"case_id": target["id"], "reason": REASON},
        headers=callers["manager"].headers,
    )
    assert response.status_code == 409, response.text
    assert says.get(refusal, refusal) in response.json()["detail"]


def test_a_hold_does_not_stop_a_move(client: TestClient, container: Services, callers, person, case) -> None:
    second = _case(client, callers["officer"].headers, person["id"])
    document = _document(container, case["id"])
    with transaction(container.new_session) as session:
        session.add(Hold(case_id=case["id"], kind=HoldKind.legal, reason="x", placed_by=callers["manager"].user_id))
    response = client.post(
        f"{API}/documents/{document}/move",
        json={"case_id": second["id"], "reason": REASON},
        headers=callers["manager"].headers,
    )
    assert response.status_code == 200, response.text


# --- DELETE /documents/{id}: access and refusals -------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("manager", 200), ("officer", 403), ("other_officer", 403), ("admin", 403), ("anonymous", 401)]
)
def test_only_managers_remove_a_document(
    client: TestClient, container: Services, callers, case, role: str, status: int
) -> None:
    document = _document(container, case["id"])
    response = client.request(
        "DELETE", f"{API}/documents/{document}", json={"reason": "uploaded in error"}, headers=_headers(callers, role)
    )
    assert response.status_code == status, response.text
    after = client.get(f"{API}/documents/{document}", headers=callers["manager"].headers).status_code
    assert after == (404 if status == 200 else 200)


def test_a_held_document_is_not_removed(client: TestClient, container: Services, callers, person, case) -> None:
    document = _document(container, case["id"])
    with transaction(container.new_session) as session:
        session.add(
            Hold(person_id=person["id"], kind=HoldKind.complaint, reason="x", placed_by=callers["manager"].user_id)
        )
    response = client.request(
        "DELETE",
        f"{API}/documents/{document}",
        json={"reason": "uploaded in error"},
        headers=callers["manager"].headers,
    )
    assert response.status_code == 409
    assert "held by hold" in response.json()["detail"]


def test_a_removal_needs_a_reason(client: TestClient, container: Services, callers, case) -> None:
    document = _document(container, case["id"])
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.request(
            "DELETE", f"{API}/documents/{document}", json=body, headers=callers["manager"].headers
        )
        assert response.status_code == 422, response.text


# --- on each storage backend: what the store holds afterwards ------------------------------


@pytest.fixture
def olive(backend_container: Services) -> dict[str, str]:
    return token(backend_container, "olive", Role.officer)


@pytest.fixture
def maya(backend_container: Services) -> dict[str, str]:
    return token(backend_container, "maya", Role.manager)


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    return save(text_strip(("Annual review of provision",)), tmp_path / "review.png")


def _uploaded(backend_client: TestClient, container: Services, headers: dict, case_id: int, scan: Path) -> int:
    response = upload(backend_client, headers, case_id, scan)
    assert response.status_code == 202, response.text
    document = response.json()["id"]
    assert run_ocr(container, document) == DocumentStatus.ready
    return document


def _objects(container: Services, document: int) -> list[StoredObject]:
    with container.new_session() as session:
        return list(session.exec(select(StoredObject).where(StoredObject.document_id == document)).all())


def _ciphertext(container: Services, stored: StoredObject) -> bytes:
    with container.store.reader(tier=stored.tier, key=stored.object_key) as source:
        return source.read()


def _versions_left(container: Services, keys: list[str]) -> list:
    return [v for tier in Tier for v in container.store.versions_of(tier=tier, keys=keys)]


def test_a_document_moved_to_another_persons_case_is_re_encrypted_under_their_key(
    backend_client: TestClient, backend_container: Services, olive, scan: Path
) -> None:
    container = backend_container
    first = _person(backend_client, olive, name="Jamie Example", born="2012-03-04")
    second = _person(backend_client, olive, name="Alex Other", born="2013-05-06")
    wrong, right = _case(backend_client, olive, first["id"]), _case(backend_client, olive, second["id"])
    document = _uploaded(backend_client, container, olive, wrong["id"], scan)
    before = _objects(container, document)
    old_ciphertexts = [_ciphertext(container, stored) for stored in before]

    response = backend_client.post(
        f"{API}/documents/{document}/move", json={"case_id": right["id"], "reason": REASON}, headers=olive
    )
    assert response.status_code == 200, response.text

    after = _objects(container, document)
    assert {s.variant for s in after} == {s.variant for s in before} == {"original", "searchable", "words"}
    assert not {s.object_key for s in after} & {s.object_key for s in before}
    assert _versions_left(container, [s.object_key for s in before]) == []  # every version, both tiers
    held = stored_bytes(container)
    assert not any(old in held for old in old_ciphertexts)
    for stored in after:
        with container.vault.open(
            subject=second["pseudonym"], object_key=stored.object_key, tier=stored.tier
        ) as chunks:
            assert hashlib.sha256(b"".join(chunks)).hexdigest() == stored.sha256
        with pytest.raises(IntegrityFailure, match="different data key"):
            with container.vault.open(subject=first["pseudonym"], object_key=stored.object_key, tier=stored.tier) as c:
                b"".join(c)
    download = backend_client.get(f"{API}/documents/{document}/file", headers=olive)
    assert download.content == scan.read_bytes()
    hits = backend_client.get(f"{API}/search", params={"q": "provision", "case_id": right["id"]}, headers=olive)
    assert [hit["document_id"] for hit in hits.json()["items"]] == [document]
    report = verify_storage(vault=container.vault, new_session=container.new_session, clock=container.clock)
    assert (report.problems, report.ok) == (0, 3)  # original, searchable, words
    with container.new_session() as session:
        assert session.exec(select(DocumentMove.reencrypted)).all() == [True]


def test_an_object_a_crashed_move_left_is_removed_by_verify_repair(
    backend_client: TestClient, backend_container: Services, olive, scan: Path
) -> None:
    """A move writes its new objects before the rows point at them: a crash in between
    leaves objects no row names, which `storage verify --repair` removes after its grace."""
    container = backend_container
    someone = _person(backend_client, olive)
    stray = container.vault.put(
        subject=someone["pseudonym"],
        source=scan,
        tier=Tier.active,
        tags=lifecycle_tags(tier=Tier.active, schedule=container.schedule),
    )
    found = verify_storage(vault=container.vault, new_session=container.new_session, clock=container.clock)
    assert [f.object_key for f in found.orphans] == [stray.object_key]
    repaired = verify_storage(
        vault=container.vault,
        new_session=container.new_session,
        clock=FixedClock(dt.datetime.now(dt.UTC) + DEFAULT_GRACE + dt.timedelta(days=1)),  # the grace has passed
        repair=True,
    )
    assert repaired.removed_orphans == 1
    assert _versions_left(container, [stray.object_key]) == []


def test_a_removed_document_leaves_no_object_version_no_text_and_a_nameless_record(
    backend_client: TestClient, backend_container: Services, olive, maya, scan: Path
) -> None:
    container = backend_container
    person = _person(backend_client, olive, name="Jamie Example")
    case = _case(backend_client, olive, person["id"])
    document = _uploaded(backend_client, container, olive, case["id"], scan)
    objects = _objects(container, document)
    ciphertexts = [_ciphertext(container, stored) for stored in objects]

    response = backend_client.request(
        "DELETE", f"{API}/documents/{document}", json={"reason": "uploaded in error"}, headers=maya
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["document_id"], body["case_id"], body["objects"], body["object_versions"]) == (
        document,
        case["id"],
        3,  # the original, the searchable PDF and the words (OCR positions)
        3,
    )
    assert body["bytes"] == sum(s.stored_size for s in objects)
    assert backend_client.get(f"{API}/documents/{document}", headers=maya).status_code == 404
    assert _versions_left(container, [s.object_key for s in objects]) == []
    held = stored_bytes(container)
    assert not any(old in held for old in ciphertexts)
    with container.new_session() as session:
        for table in (PageText, StoredObject, Document):
            assert session.exec(select(func.count()).select_from(table)).one() == 0
        [record] = session.exec(select(DocumentDisposal)).all()
    assert "Jamie" not in repr(record) and record.reason == "uploaded in error"
    [event] = _events(container, "document.dispose")
    assert "error" not in event.details


def test_a_new_date_of_birth_gives_the_objects_todays_tags(
    backend_client: TestClient, backend_container: Services, olive, scan: Path
) -> None:
    """Tags hold no date now; an object tagged by an older casevault still carries the
    disposition month derived from the old date of birth, and loses it."""
    container = backend_container
    person = _person(backend_client, olive, born="2012-03-04")
    case = _case(backend_client, olive, person["id"])
    response = upload(backend_client, olive, case["id"], scan)
    [stored] = _objects(container, response.json()["id"])
    today = lifecycle_tags(tier=Tier.active, schedule=container.schedule).as_dict()
    [retired] = RETIRED
    container.store.set_tags(tier=Tier.active, key=stored.object_key, tags={**today, retired: "2037-03"})

    changed = backend_client.patch(f"{API}/people/{person['id']}", json={"date_of_birth": "2012-04-04"}, headers=olive)
    assert changed.status_code == 200, changed.text
    assert container.store.get_tags(tier=Tier.active, key=stored.object_key) == today


def test_a_destruction_takes_the_corrections_and_their_reasons_along(
    client: TestClient, container: Services, callers, person, case, note
) -> None:
    officer, manager = callers["officer"].headers, callers["manager"].headers
    second = _case(client, officer, person["id"])
    moved, removed = _document(container, case["id"]), _document(container, case["id"], sha256="1" * 64)
    assert client.patch(f"{API}/notes/{note['id']}", json={"text": "New.", "reason": "x"}, headers=officer).is_success
    move = {"case_id": second["id"], "reason": REASON}
    assert client.post(f"{API}/documents/{moved}/move", json=move, headers=officer).is_success
    assert client.request("DELETE", f"{API}/documents/{removed}", json={"reason": "x"}, headers=manager).is_success

    with transaction(container.new_session) as session:
        delete_personal_rows(session, person_id=person["id"])  # the destruction's row step
    with container.new_session() as session:
        for table in (CaseNoteVersion, DocumentMove, DocumentDisposal):
            assert session.exec(select(func.count()).select_from(table)).one() == 0


def test_a_case_the_lifecycle_is_moving_waits_and_nothing_is_left_claimed(
    client: TestClient, container: Services, callers, person, case
) -> None:
    second = _case(client, callers["officer"].headers, person["id"])
    document = _document(container, case["id"])
    item = f"archive:case:{second['id']}"
    assert claims.claim(container.new_session, item=item, holder="sweep", clock=container.clock, lease=DEFAULT_LEASE)
    move = {"case_id": second["id"], "reason": REASON}
    refused = client.post(f"{API}/documents/{document}/move", json=move, headers=callers["manager"].headers)
    assert refused.status_code == 409
    assert f"{item} is under way" in refused.json()["detail"]

    claims.release_now(container.new_session, item=item, holder="sweep")
    moved = client.post(f"{API}/documents/{document}/move", json=move, headers=callers["manager"].headers)
    assert moved.status_code == 200, moved.text
    with container.new_session() as session:
        assert session.exec(select(func.count()).select_from(LeaseRecord)).one() == 0


def test_a_document_being_read_by_ocr_is_removed_only_after(
    client: TestClient, container: Services, callers, case
) -> None:
    document = _document(container, case["id"])
    item = f"ocr:document:{document}"
    assert claims.claim(container.new_session, item=item, holder="task-1", clock=container.clock, lease=DEFAULT_LEASE)
    body, manager = {"reason": "uploaded in error"}, callers["manager"].headers
    refused = client.request("DELETE", f"{API}/documents/{document}", json=body, headers=manager)
    assert refused.status_code == 409
    assert f"{item} is under way" in refused.json()["detail"]
    claims.release_now(container.new_session, item=item, holder="task-1")
    assert client.request("DELETE", f"{API}/documents/{document}", json=body, headers=manager).status_code == 200
