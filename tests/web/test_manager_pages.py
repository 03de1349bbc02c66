"""The managers' pages: each for each role, every form's CSRF check, and what each form does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, CaseStatus, Hold, OutcomeCode, User
from tests.people import GIVEN
from tests.web_pages import ORIGIN, form_token, sign_in

USERNAMES = {"officer": "olive", "manager": "maya", "admin": "adam"}
MANAGER_PAGES = [
    "/manager",
    "/manager/cases?show=re-referrals",
    "/manager/cases?show=unassigned",
    "/manager/cases?show=archived",
    "/manager/due",
    "/manager/due?within_days=366",
    "/manager/holds",
    "/manager/holds/new",
    "/manager/handover",
    "/manager/certificates",
]


@pytest.fixture
def case_pages(cases: dict[str, Case]) -> list[str]:
    olive = cases["officer"].id
    return [f"/manager/cases/{olive}/assign", f"/manager/cases/{olive}/restore"]


@pytest.fixture
def storage(container: Services) -> None:
    init_storage(container.settings)  # the due list reads the lifecycle's parts


@pytest.mark.parametrize("role", ["manager", "officer", "admin", "anonymous"])
def test_each_manager_page_for_each_role(client: TestClient, users, storage, case_pages: list[str], role: str) -> None:
    if role != "anonymous":
        assert sign_in(client, USERNAMES[role]).status_code == 303
    missing = client.get("/manager/no-such-page").text if role != "anonymous" else ""
    for path in MANAGER_PAGES + case_pages:
        answer = client.get(path, follow_redirects=False)
        if role == "manager":
            assert answer.status_code == 200, (path, answer.text[:2000])
        elif role == "anonymous":
            assert (answer.status_code, answer.headers["location"]) == (303, "/"), path
        else:  # exactly the page a missing address gets
            assert answer.status_code == 404, path
            assert _main(answer.text) == _main(missing), path


@pytest.mark.parametrize("role", ["manager", "admin", "officer"])
def test_the_audit_log_is_for_managers_and_admins(client: TestClient, users, role: str) -> None:
    sign_in(client, USERNAMES[role])
    answer = client.get("/audit")
    assert answer.status_code == (404 if role == "officer" else 200)
    if role != "officer":
        assert "web.sign_in" in answer.text


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)


def _send(client: TestClient, path: str, form: dict[str, str], *, token: str | None = None, origin: bool = True):
    """Send a page's form as a browser does: the page's CSRF token unless ``token`` says otherwise."""
    sent = {"csrf_token": token if token is not None else form_token(client.get("/manager/handover").text), **form}
    return client.post(path, data=sent, headers=ORIGIN if origin else {}, follow_redirects=False)


def _forms(cases: dict[str, Case], hold_id: int, person_id: int) -> dict[str, dict[str, str]]:
    olive = cases["officer"]
    return {
        f"/manager/due/{person_id}/approve": {"confirm": "yes"},
        "/manager/holds/new": {"reference": olive.reference, "on": "case", "kind": "legal", "reason": "Claim."},
        f"/manager/holds/{hold_id}/release": {"confirm": "yes"},
        f"/manager/cases/{olive.id}/restore": {},
        f"/manager/cases/{olive.id}/assign": {"officer": "oscar"},
        "/manager/handover": {"from_officer": "olive", "to_officer": "oscar"},
    }


def test_every_managers_form_needs_its_token_and_this_origin(
    client: TestClient, container: Services, users, cases: dict[str, Case], storage
) -> None:
    with transaction(container.new_session) as session:
        hold = Hold(case_id=cases["officer"].id, kind="legal", reason="Claim.", placed_by=users["manager"].id,
                    placed_at=container.clock.now())  # fmt: skip
        session.add(hold)
        session.flush()
        hold_id = hold.id
    sign_in(client, "maya")
    before = _audit_count(container)
    for path, form in _forms(cases, hold_id, cases["officer"].person_id).items():
        assert _send(client, path, form, token="not the token").status_code == 403, path
        assert _send(client, path, form, origin=False).status_code == 403, path
        assert "the form could not be sent" in _send(client, path, form, token="").text.lower()
    with container.new_session() as session:
        assert session.get(Hold, hold_id).released_at is None
        assert session.get(Case, cases["officer"].id).assigned_officer_id == users["officer"].id
    assert _audit_count(container) == before


def _audit_count(container: Services) -> int:
    with container.new_session() as session:
        return len(
            session.exec(select(AuditEvent.id).where(AuditEvent.action.in_(["hold.place", "case.assign"]))).all()
        )


def test_a_manager_places_and_releases_a_hold(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "maya")
    refused = _send(client, "/manager/holds/new", {"reference": "", "on": "case", "kind": "", "reason": " "})
    assert refused.status_code == 400
    assert "govuk-error-summary" in refused.text and 'href="#reference"' in refused.text
    assert "Choose the kind of hold" in refused.text and "Enter why the hold is placed" in refused.text
    unknown = _send(client, "/manager/holds/new", {"reference": "SEN-1999-99999", "on": "case", "kind": "legal",
                                                    "reason": "Claim."})  # fmt: skip
    assert unknown.status_code == 400 and "There is no case with that reference" in unknown.text

    olive = cases["officer"]
    form = {"reference": olive.reference.lower(), "on": "person", "kind": "safeguarding", "reason": "Concern."}
    placed = _send(client, "/manager/holds/new", form)
    assert (placed.status_code, placed.headers["location"]) == (303, "/manager/holds")
    listed = client.get("/manager/holds").text
    assert "Jamie Example" in listed and "Concern." in listed and "Every case of the person" in listed
    with container.new_session() as session:
        [hold] = session.exec(select(Hold)).all()
        assert (hold.person_id, hold.case_id, hold.placed_by) == (olive.person_id, None, users["manager"].id)
        [row] = session.exec(select(AuditEvent).where(AuditEvent.action == "hold.place")).all()
        assert "Concern" not in row.details and row.actor == f"user:{users['manager'].id}"

    unconfirmed = _send(client, f"/manager/holds/{hold.id}/release", {})
    assert unconfirmed.status_code == 400 and "Confirm that the hold may be released" in unconfirmed.text
    released = _send(client, f"/manager/holds/{hold.id}/release", {"confirm": "yes"})
    assert released.status_code == 303
    assert "No hold stands" in client.get("/manager/holds").text
    assert client.get(f"/manager/holds/{hold.id}/release").status_code == 404  # released: no longer standing


def test_a_manager_assigns_a_case_and_hands_an_officers_cases_over(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "maya")
    olive = cases["officer"]
    for officer, message in [("", "Choose the officer"), ("adam", "active officer")]:
        refused = _send(client, f"/manager/cases/{olive.id}/assign", {"officer": officer})
        assert refused.status_code == 400 and message in refused.text and 'href="#officer"' in refused.text
    assigned = _send(client, f"/manager/cases/{olive.id}/assign", {"officer": "oscar"})
    assert (assigned.status_code, assigned.headers["location"]) == (303, f"/cases/{olive.id}")
    with container.new_session() as session:
        assert session.get(Case, olive.id).assigned_officer_id == users["other_officer"].id

    same = _send(client, "/manager/handover", {"from_officer": "oscar", "to_officer": "oscar"})
    assert same.status_code == 400 and "Choose a different officer" in same.text
    moved = _send(client, "/manager/handover", {"from_officer": "oscar", "to_officer": "olive"})
    assert moved.status_code == 200 and "Handed over 2 cases from oscar to olive" in moved.text
    with container.new_session() as session:
        officers = {case.assigned_officer_id for case in session.exec(select(Case)).all()}
        assert officers == {users["officer"].id}
        actors = {row.actor for row in session.exec(select(AuditEvent).where(AuditEvent.action == "case.assign"))}
        assert actors == {f"user:{users['manager'].id}"}  # the same use case as the command, naming the manager


def test_the_audit_log_filters_by_who_what_which_case_and_dates(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "maya")
    olive, oscar = cases["officer"], cases["other_officer"]
    _send(client, f"/manager/cases/{olive.id}/assign", {"officer": "oscar"})
    _send(client, f"/manager/cases/{oscar.id}/assign", {"officer": "olive"})
    page = client.get("/audit", params={"who": "maya", "action": "case.assign", "subject": olive.reference}).text
    assert f"case {olive.id}" in page and f"case {oscar.id}" not in page
    day = {"from-day": "24", "from-month": "11", "from-year": "2026", "to-day": "24", "to-month": "11",
           "to-year": "2026"}  # fmt: skip
    assert f"case {oscar.id}" in client.get("/audit", params={"action": "case.assign", **day}).text
    later = {**day, "from-day": "25", "to-day": "30"}
    assert "No audit rows match" in client.get("/audit", params={"action": "case.assign", **later}).text
    assert "No audit rows match" in client.get("/audit", params={"who": "olive", "action": "case.assign"}).text

    wrong = client.get("/audit", params={**day, "from-month": "13", "subject": "nothing here"})
    assert wrong.status_code == 400
    assert 'href="#from-day"' in wrong.text and 'href="#subject"' in wrong.text
    backwards = client.get("/audit", params={**day, "from-day": "25"})
    assert backwards.status_code == 400 and "same as or after the first day" in backwards.text


def test_the_audit_log_comes_25_rows_to_a_page(client: TestClient, users) -> None:
    for _ in range(30):
        sign_in(client, "maya")
    first = client.get("/audit", params={"action": "web.sign_in"}).text
    assert first.count("web.sign_in") >= 25 and "action=web.sign_in&amp;page=2" in first
    second = client.get("/audit", params={"action": "web.sign_in", "page": "2"}).text
    assert second.count('<td class="govuk-table__cell">web.sign_in</td>') == 5
    assert client.get("/audit", params={"page": "0"}).status_code == 404


def _due_for_destruction(container: Services, clock, officer: User) -> Case:
    """A young person who turns 25 today and still has an open case: the destruction waits for a manager."""
    clock.set(dt.date(2026, 11, 23))
    case = open_case_born(container, officer, dt.date(2001, 11, 24))
    clock.set(dt.date(2026, 11, 24))
    return case


def open_case_born(container: Services, officer: User, born: dt.date) -> Case:
    with transaction(container.new_session) as session:
        person = container.cases.add_person(
            session,
            full_name="Robin Example",
            date_of_birth=born,
            contact_details=None,
            consent_given=GIVEN,
            user=officer,
        )
        return container.cases.open(
            session, person_id=person.id, referral_date=dt.date(2026, 9, 1),
            referral_source="parent_carer", officer=officer, user=officer,
        )  # fmt: skip


def test_a_manager_approves_a_destruction_waiting_for_her(
    client: TestClient, container: Services, clock, users, storage
) -> None:
    case = _due_for_destruction(container, clock, users["officer"])
    sign_in(client, "maya")
    due = client.get("/manager/due").text
    assert "Robin Example" in due and case.reference in due and "<code>destroy-at-age" in due  # the rule id, as code
    assert container.schedule.version in due and "Awaiting approval" in due
    assert f'href="/manager/due/{case.person_id}/approve"' in due
    assert "Robin Example" in client.get(f"/manager/due/{case.person_id}/approve").text

    unconfirmed = _send(client, f"/manager/due/{case.person_id}/approve", {})
    assert unconfirmed.status_code == 400 and 'href="#confirm"' in unconfirmed.text
    approved = _send(client, f"/manager/due/{case.person_id}/approve", {"confirm": "yes"})
    assert approved.status_code == 303
    assert "Awaiting approval" not in client.get("/manager/due").text
    assert client.get("/manager/due/999999/approve").status_code == 404  # nobody due


def test_a_manager_restores_an_archived_case_and_watches_it_come_back(
    client: TestClient, container: Services, users, storage
) -> None:
    case = open_case_born(container, users["officer"], dt.date(2012, 3, 4))
    with transaction(container.new_session) as session:
        container.cases.close(
            session,
            case_id=case.id,
            closed_on=dt.date(2026, 10, 1),
            outcome="Resolved.",
            outcome_code=OutcomeCode.advice_given,
            user=users["officer"],
        )
    container.retention.sweep(dry_run=False)
    sign_in(client, "maya")
    assert case.reference in client.get("/manager/cases?show=archived").text
    page = client.get(f"/manager/cases/{case.id}/restore").text
    assert 'data-watch-status="archived"' in page and "Restore case</button>" in page.replace("\n", "")

    asked = _send(client, f"/manager/cases/{case.id}/restore", {})
    assert (asked.status_code, asked.headers["location"]) == (303, f"/manager/cases/{case.id}/restore")
    assert 'data-watch-status="restoring"' in client.get(asked.headers["location"]).text
    again = _send(client, f"/manager/cases/{case.id}/restore", {})
    assert again.status_code == 400 and "only an archived case is restored" in again.text

    container.retention.restore(case_id=case.id, holder="the worker")
    assert 'data-watch-status="closed"' in client.get(f"/manager/cases/{case.id}/restore").text
    with container.new_session() as session:
        assert session.get(Case, case.id).status == CaseStatus.closed


def test_the_dashboard_counts_what_needs_a_manager(
    client: TestClient, container: Services, clock, users, cases: dict[str, Case], storage
) -> None:
    from casevault.core import counters
    from casevault.core.models import Document, DocumentStatus, ProvidedBy

    due = _due_for_destruction(container, clock, users["officer"])
    with transaction(container.new_session) as session:
        counters.add(session, counters.INTEGRITY_ALERTS.name, label="download")
        session.add(
            Document(case_id=cases["officer"].id, original_filename="scan.pdf", content_type="application/pdf", size=1,
                     sha256="1" * 64, correspondence_date=dt.date(2026, 9, 2), provided_by=ProvidedBy.school,
                     status=DocumentStatus.failed, failure_reason="unreadable")
        )  # fmt: skip
        session.get(Case, cases["other_officer"].id).re_referral = True
    sign_in(client, "maya")
    page = client.get("/manager").text
    rows = dict(re.findall(r'<th scope="row" class="govuk-table__header">(.*?)</th>\s*<td[^>]*>(\d+)</td>', page, re.S))
    counted = {re.sub(r"<[^>]+>", "", key).strip(): int(value) for key, value in rows.items()}
    assert counted["Awaiting your approval"] == 1 and counted["Documents whose OCR failed"] == 1
    assert counted["Re-referrals (open)"] == 1 and counted["Standing holds"] == 0
    assert counted["Integrity alerts (stored objects that failed their check)"] == 1
    assert "A stored object failed its integrity check" in page and due.reference in client.get("/manager/due").text
    assert cases["other_officer"].reference in client.get("/manager/cases?show=re-referrals").text
    assert client.get("/manager/certificates/1").status_code == 404  # nothing destroyed yet


def test_admins_filter_the_audit_log_by_ids_not_case_references(
    client: TestClient, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "adam")
    refused = client.get("/audit", params={"subject": cases["officer"].reference})
    assert refused.status_code == 400 and "like case 12 or person 7" in refused.text
    assert client.get("/audit", params={"subject": f"case {cases['officer'].id}"}).status_code == 200


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_a_managers_form_sent_by_anyone_else_answers_not_found_and_changes_nothing(
    client: TestClient, container: Services, users, cases: dict[str, Case], storage, role: str
) -> None:
    sign_in(client, USERNAMES[role])
    token = form_token(client.get("/accessibility").text)  # the sign-out form's: her own session's token
    olive = cases["officer"]
    forms = _forms(cases, hold_id=1, person_id=olive.person_id)
    for path, form in forms.items():
        answer = client.post(path, data={"csrf_token": token, **form}, headers=ORIGIN, follow_redirects=False)
        assert answer.status_code == 404, path
    with container.new_session() as session:
        assert session.exec(select(Hold)).all() == []
        assert {case.assigned_officer_id for case in session.exec(select(Case))} == {
            users["officer"].id,
            users["other_officer"].id,
        }
