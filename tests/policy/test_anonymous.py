"""Anonymous contact: a person recorded without a name, date of birth or contact details is
shown everywhere by a label made from their id; withdrawing the permission to record personal
details makes someone anonymous at once (the name and contact details erased, the date of
birth kept). Someone with no date of birth is destroyed by the real sweep when the archive
window of their last case ends, with a certificate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core import audit
from casevault.core.clock import FixedClock
from casevault.core.models import AuditEvent, Case, CaseStatus, DestructionCertificate, Person, Tier
from casevault.core.statistics import By
from casevault.retention.statistics import Table, count_cases
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.retention.seeding import add_document, lifecycle_of, versions_in

API = "/api/v1"
NAME = "Jamie Quillfeather"
BORN = "2012-03-04"
CONTACT = "07700 900461"
BY_HER = {"given_by": "young_person", "how": "verbal"}
REFERRAL = {"referral_date": "2026-09-01", "referral_source": "young_person"}


def _label(person_id: int) -> str:
    return f"Anonymous contact {person_id:04d}"


def _anonymous_case(client: TestClient, headers: dict) -> dict:
    response = client.post(f"{API}/cases", json={"person": {"anonymous": True}, **REFERRAL}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _people(container: Services) -> list[Person]:
    with container.new_session() as session:
        return list(session.exec(select(Person)).all())


def test_an_anonymous_contact_is_recorded_without_permission_and_shown_by_a_label(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]

    created = client.post(f"{API}/people", json={"anonymous": True}, headers=olive)

    assert created.status_code == 201, created.text
    person = created.json()
    assert person["anonymous"] is True and person["full_name"] is None and person["date_of_birth"] is None
    assert person["label"] == _label(person["id"]) and person["contact_details"] is None
    case = client.post(f"{API}/cases", json={"person_id": person["id"], **REFERRAL}, headers=olive)
    assert case.status_code == 201, case.text
    assert case.json()["person_name"] == _label(person["id"])
    assert client.get(f"{API}/people/{person['id']}", headers=olive).json()["label"] == _label(person["id"])
    assert client.get(f"{API}/people/{person['id']}", headers=headers["oscar"]).status_code == 404
    # A referral of someone anonymous is never matched to anyone: each is recorded apart.
    second = _anonymous_case(client, olive)
    assert second["person_id"] != person["id"] and second["person_name"] == _label(second["person_id"])
    with container.new_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "person.create")).all()
    assert [event.subject_id for event in events] == [str(person["id"]), str(second["person_id"])]


def test_details_sent_with_anonymous_are_refused_saying_not_to_send_them(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]
    for field, value in (("full_name", NAME), ("date_of_birth", BORN), ("contact_details", CONTACT)):
        refused = client.post(f"{API}/people", json={"anonymous": True, field: value}, headers=olive)
        by_referral = client.post(
            f"{API}/cases", json={"person": {"anonymous": True, field: value}, **REFERRAL}, headers=olive
        )
        for response in (refused, by_referral):
            assert response.status_code == 422, response.text
            assert response.json()["field"] == field and "do not send" in response.json()["detail"]
    nameless = client.post(f"{API}/people", json={"date_of_birth": BORN, "consent": BY_HER}, headers=olive)
    assert nameless.status_code == 422 and "anonymous: true" in nameless.json()["detail"]
    assert _people(container) == []


def test_the_label_names_the_anonymous_in_the_to_do_search_and_finding_people(
    client: TestClient, container: Services, headers, storage
) -> None:
    olive = headers["olive"]
    named = client.post(
        f"{API}/people", json={"full_name": NAME, "date_of_birth": BORN, "consent": BY_HER}, headers=olive
    )
    assert named.status_code == 201
    case = client.post(
        f"{API}/cases",
        json={"person": {"anonymous": True}, **REFERRAL, "referral_source": "professional"},
        headers=olive,
    ).json()
    note = {"kind": "progress_summary", "text": "Spoke about the tribunal hearing.", "date": "2026-09-02"}
    assert client.post(f"{API}/cases/{case['id']}/notes", json=note, headers=olive).status_code == 201

    waiting = client.get(f"{API}/me/todo", headers=olive).json()["awaiting_permission"]["items"]
    hits = client.get(f"{API}/search", params={"q": "tribunal"}, headers=olive).json()["items"]
    found = client.get(f"{API}/people", params={"name": "Quillfeather"}, headers=headers["maya"])
    by_label = client.get(f"{API}/cases/{case['id']}", headers=olive).json()

    label = _label(case["person_id"])
    assert [(item["case_id"], item["full_name"]) for item in waiting] == [(case["id"], label)]
    assert [(hit["case_id"], hit["person_name"]) for hit in hits] == [(case["id"], label)]
    assert found.status_code == 200 and [p["id"] for p in found.json()["items"]] == [named.json()["id"]]
    assert by_label["person_name"] == label


def test_an_anonymous_contact_gets_a_name_or_contact_details_only_with_permission(client: TestClient, headers) -> None:
    olive = headers["olive"]
    case = _anonymous_case(client, olive)
    path = f"{API}/people/{case['person_id']}"

    contact = client.patch(path, json={"contact_details": CONTACT}, headers=olive)
    unpermitted = client.patch(path, json={"full_name": NAME}, headers=olive)
    assert contact.status_code == 422 and contact.json()["field"] == "contact_details"
    assert unpermitted.status_code == 422 and "record_personal_details" in unpermitted.json()["detail"]
    scopes = {"scopes": ["record_personal_details"], **BY_HER}
    assert client.post(f"{path}/consents", json=scopes, headers=olive).status_code == 201
    named = client.patch(path, json={"full_name": NAME, "date_of_birth": BORN}, headers=olive)

    assert named.status_code == 200, named.text
    assert (named.json()["full_name"], named.json()["label"], named.json()["anonymous"]) == (NAME, NAME, False)


def test_withdrawing_permission_to_record_personal_details_erases_the_name_at_once(
    client: TestClient, container: Services, headers
) -> None:
    olive, maya = headers["olive"], headers["maya"]
    scopes = ["record_personal_details", "keep_contact_details"]
    body = {
        "full_name": NAME,
        "date_of_birth": BORN,
        "contact_details": CONTACT,
        "consent": {**BY_HER, "scopes": scopes},
    }
    person = client.post(f"{API}/people", json=body, headers=olive).json()
    case = client.post(f"{API}/cases", json={"person_id": person["id"], **REFERRAL}, headers=olive).json()
    consents = client.get(f"{API}/people/{person['id']}/consents", headers=olive).json()["items"]
    record = next(c for c in consents if c["scope"] == "record_personal_details")

    withdrawn = client.post(f"{API}/consents/{record['id']}/withdraw", json={"how": "email"}, headers=olive)

    assert withdrawn.status_code == 200, withdrawn.text
    after = client.get(f"{API}/people/{person['id']}", headers=olive).json()
    label = _label(person["id"])
    assert (after["full_name"], after["contact_details"], after["anonymous"], after["label"]) == (
        None,
        None,
        True,
        label,
    )
    assert after["date_of_birth"] == BORN  # kept: the schedule and the release rules need the age
    assert client.get(f"{API}/cases/{case['id']}", headers=olive).json()["person_name"] == label
    found = client.get(f"{API}/people", params={"name": "Quillfeather"}, headers=maya).json()["items"]
    assert found == []
    listed = client.get(f"{API}/consents/storage-withdrawn", headers=maya).json()["items"]
    assert listed == [{"person_id": person["id"], "full_name": label, "withdrawn": ["record_personal_details"]}]
    with container.new_session() as session:
        stored = session.get(Person, person["id"])
        assert stored is not None and stored.name_key == ""
        details = " ".join(e.details for e in session.exec(select(AuditEvent)).all())
    assert "Quillfeather" not in details and CONTACT not in details and BORN not in details
    if container.settings.database_url.startswith("sqlite"):
        files = [path for path in container.settings.data_dir.rglob("*") if path.is_file()]
        assert files  # the database is there to be read
        for secret in (b"Quillfeather", b"quillfeather", CONTACT.encode()):
            assert not [path for path in files if secret in path.read_bytes()], secret


def test_both_withdrawals_are_listed_for_the_managers_decision_saying_which(client: TestClient, headers) -> None:
    olive = headers["olive"]
    scopes = ["record_personal_details", "store_electronically"]
    person = client.post(
        f"{API}/people",
        json={"full_name": NAME, "date_of_birth": BORN, "consent": {**BY_HER, "scopes": scopes}},
        headers=olive,
    ).json()
    for row in client.get(f"{API}/people/{person['id']}/consents", headers=olive).json()["items"]:
        assert (
            client.post(f"{API}/consents/{row['id']}/withdraw", json={"how": "verbal"}, headers=olive).status_code
            == 200
        )

    listed = client.get(f"{API}/consents/storage-withdrawn", headers=headers["maya"]).json()["items"]

    assert [(item["person_id"], sorted(item["withdrawn"])) for item in listed] == [
        (person["id"], ["record_personal_details", "store_electronically"])
    ]


def test_an_anonymous_contact_is_archived_then_destroyed_when_the_archive_window_ends(
    client: TestClient, container: Services, headers, storage, tmp_path: Path
) -> None:
    olive = headers["olive"]
    case = _anonymous_case(client, olive)
    person_id = case["person_id"]
    pseudonym = client.get(f"{API}/people/{person_id}", headers=olive).json()["pseudonym"]
    _, keys = add_document(
        container, tmp_path, case_id=case["id"], subject=pseudonym, born=dt.date(2012, 1, 1), index=0,
        correspondence_date=dt.date(2026, 9, 2),
    )  # fmt: skip
    close = {"closed_on": "2026-11-20", "outcome": "Advice given.", "outcome_code": "advice_given"}
    assert client.post(f"{API}/cases/{case['id']}/close", json=close, headers=olive).status_code == 200

    archived = run_sweep(lifecycle_of(container), dry_run=False)

    assert [o.outcome for o in archived.outcomes] == [StepOutcomeKind.done]
    with container.new_session() as session:
        row = session.get(Case, case["id"])
        assert row is not None and row.status is CaseStatus.archived and row.archive_until is not None
        window_ends = row.archive_until
        counted = count_cases(
            session, table=Table.age_band, start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30), by=By.quarter
        )
    assert counted.counts == {("2026-Q3", "unknown"): 1}  # no date of birth: no age band, counted as unknown
    assert sorted(versions_in(container, Tier.archive, keys)) == sorted(keys)

    eve = run_sweep(lifecycle_of(container, clock=FixedClock(window_ends - dt.timedelta(days=1))), dry_run=False)
    assert list(eve.outcomes) == []
    destroyed = run_sweep(lifecycle_of(container, clock=FixedClock(window_ends)), dry_run=False)

    assert [o.outcome for o in destroyed.outcomes] == [StepOutcomeKind.done]
    for tier in Tier:
        assert versions_in(container, tier, keys) == []
    assert not container.vault.has_key(subject=pseudonym)
    with container.new_session() as session:
        assert session.get(Person, person_id) is None and session.get(Case, case["id"]) is None
        [certificate] = session.exec(select(DestructionCertificate)).all()
        assert (certificate.subject, certificate.cases, certificate.documents) == (pseudonym, 1, 1)
        assert certificate.authorised_by.endswith("rule destroy-undated-after-archive")
        assert audit.verify_chain(session, mac_key=container.audit_mac_key).ok
        kept = count_cases(
            session, table=Table.age_band, start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30), by=By.quarter
        )
        assert kept.counts == {("2026-Q3", "unknown"): 1}  # the destroyed case's tally keeps counting
        assert session.execute(sa.text("SELECT count(*) FROM person")).scalar_one() == 0


def test_a_manager_approves_an_undated_destruction_only_once_it_is_due(
    client: TestClient, container: Services, headers
) -> None:
    case = _anonymous_case(client, headers["olive"])
    approval = client.post(f"{API}/retention/approvals", json={"person_id": case["person_id"]}, headers=headers["maya"])
    assert approval.status_code == 409, approval.text
