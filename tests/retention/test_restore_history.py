"""A re-referral brings the earlier records back without rewriting them: the earlier case
stays closed with its outcome, its officer's successor reads but does not change it,
and once no case is open it goes back to the archive. A manager's restore says so in
the audit log under its own rule. A note on a closed case counts as correspondence."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.models import AuditEvent, Role, Tier
from casevault.retention.decide import ActionKind
from casevault.retention.sweep import run_sweep
from tests.people import CONSENT
from tests.retention.seeding import add_document, lifecycle_of, versions_in
from tests.tokens import token

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)

BORN = dt.date(2010, 5, 1)


@pytest.fixture
def api(life: Services) -> Iterator[TestClient]:
    with TestClient(create_app(life)) as client:
        yield client


@pytest.fixture
def headers(life: Services) -> dict[str, dict[str, str]]:
    return {
        name: token(life, name, role)
        for name, role in (
            ("olive", Role.officer),
            ("oscar", Role.officer),
            ("otto", Role.officer),
            ("maya", Role.manager),
        )
    }


def _first_case(api: TestClient, life: Services, headers: dict, tmp_path: Path) -> tuple[dict, list[int], list[str]]:
    """Olive's case for a young person, with two documents, closed on 1 October."""
    person = api.post(
        "/api/v1/people",
        json={"full_name": "Robin Example", "date_of_birth": BORN.isoformat(), "consent": CONSENT},
        headers=headers["olive"],
    ).json()
    referral = {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    case = api.post("/api/v1/cases", json=referral, headers=headers["olive"]).json()
    documents, keys = [], []
    for index in range(2):
        document_id, stored = add_document(
            life,
            tmp_path,
            case_id=case["id"],
            subject=person["pseudonym"],
            born=BORN,
            index=index,
            correspondence_date=dt.date(2026, 9, 10),
        )
        documents.append(document_id)
        keys += stored
    letter = {"kind": "progress_summary", "text": "The school's letter.", "date": "2026-09-10"}
    assert api.post(f"/api/v1/cases/{case['id']}/notes", json=letter, headers=headers["olive"]).status_code == 201
    closure = {"closed_on": "2026-10-01", "outcome": "Plan agreed with the school.", "outcome_code": "advice_given"}
    assert api.post(f"/api/v1/cases/{case['id']}/close", json=closure, headers=headers["olive"]).status_code == 200
    return case, documents, keys


def _case(api: TestClient, headers: dict, case_id: int) -> dict:
    answer = api.get(f"/api/v1/cases/{case_id}", headers=headers["maya"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_re_referral_restores_the_earlier_case_closed_readable_and_archived_again_when_done(
    api: TestClient, life: Services, headers: dict, tmp_path: Path
) -> None:
    first, documents, keys = _first_case(api, life, headers, tmp_path)
    run_sweep(lifecycle_of(life), dry_run=False)
    archived = _case(api, headers, first["id"])
    assert archived["status"] == "archived" and archived["archive_until"] == "2027-09-10"

    # Referred again, to another officer: the earlier case comes back, still closed.
    referral = {
        "person_id": first["person_id"],
        "referral_date": "2026-11-24",
        "referral_source": "professional",
        "assigned_officer": "oscar",
    }
    second = api.post("/api/v1/cases", json=referral, headers=headers["maya"])
    assert second.status_code == 201, second.text
    second = second.json()
    run_sweep(lifecycle_of(life), dry_run=False)  # the restore task, or this sweep, brings the documents back
    earlier = _case(api, headers, first["id"])
    assert (earlier["status"], earlier["closed_on"], earlier["outcome"]) == (
        "closed",
        "2026-10-01",
        "Plan agreed with the school.",
    )
    assert sorted(versions_in(life, Tier.active, keys)) == sorted(keys)
    assert versions_in(life, Tier.archive, keys) == []

    # While the new case is open, the earlier one is not archived again.
    report = run_sweep(lifecycle_of(life), dry_run=False)
    assert [item for item in report.due if item.action.case_id == first["id"]] == []

    # Oscar reads the earlier case and its documents, and changes nothing of it.
    read = api.get(f"/api/v1/cases/{first['id']}", headers=headers["oscar"])
    assert read.status_code == 200 and read.json()["history"][0]["outcome"] == "Plan agreed with the school."
    assert api.get(f"/api/v1/documents/{documents[0]}", headers=headers["oscar"]).json()["tier"] == "active"
    assert api.get(f"/api/v1/documents/{documents[0]}/file", headers=headers["oscar"]).status_code == 200
    note = {"kind": "progress_summary", "text": "Spoke to the family.", "date": "2026-11-24"}
    for attempt in (
        api.post(f"/api/v1/cases/{first['id']}/notes", json=note, headers=headers["oscar"]),
        api.post(f"/api/v1/cases/{first['id']}/reopen", json={"reason": "New concern."}, headers=headers["oscar"]),
    ):
        assert attempt.status_code == 403 and "read but not change" in attempt.json()["detail"]
    # Otto has no open case for the person: the earlier case is as missing to him.
    assert api.get(f"/api/v1/cases/{first['id']}", headers=headers["otto"]).status_code == 404
    assert api.get(f"/api/v1/documents/{documents[0]}", headers=headers["otto"]).status_code == 404

    # Closing the new case keeps both outcomes; with no case open, both archive at the next sweep.
    closure = {"closed_on": "2026-11-24", "outcome": "Support in place.", "outcome_code": "advice_given"}
    assert api.post(f"/api/v1/cases/{second['id']}/close", json=closure, headers=headers["oscar"]).status_code == 200
    assert _case(api, headers, first["id"])["outcome"] == "Plan agreed with the school."
    assert _case(api, headers, second["id"])["outcome"] == "Support in place."
    report = run_sweep(lifecycle_of(life), dry_run=False)
    assert sorted((item.action.kind, item.action.case_id) for item in report.due) == [
        (ActionKind.archive, first["id"]),
        (ActionKind.archive, second["id"]),
    ]
    again = _case(api, headers, first["id"])
    assert (again["status"], again["archive_until"], again["outcome"]) == (
        "archived",
        "2027-09-10",  # its window as it was, not restarted
        "Plan agreed with the school.",
    )
    assert sorted(versions_in(life, Tier.archive, keys)) == sorted(keys)
    assert _restore_rules(life, first["id"]) == ["restore-on-referral", "restore-on-referral"]


def test_a_managers_restore_is_audited_under_its_own_rule_and_the_case_stays_closed(
    api: TestClient, life: Services, headers: dict, tmp_path: Path
) -> None:
    first, _, keys = _first_case(api, life, headers, tmp_path)
    run_sweep(lifecycle_of(life), dry_run=False)
    answer = api.post(f"/api/v1/cases/{first['id']}/restore", headers=headers["maya"])
    assert answer.status_code == 202 and answer.json()["status"] == "restoring"
    assert (
        api.post(f"/api/v1/cases/{first['id']}/reopen", json={"reason": "x"}, headers=headers["olive"]).status_code
        == 409
    )

    run_sweep(lifecycle_of(life), dry_run=False)

    restored = _case(api, headers, first["id"])
    assert (restored["status"], restored["outcome"]) == ("closed", "Plan agreed with the school.")
    assert sorted(versions_in(life, Tier.active, keys)) == sorted(keys)
    assert _restore_rules(life, first["id"]) == ["restore-by-manager", "restore-by-manager"]
    # No case of the person is open: the next sweep archives it again, unless it is reopened.
    reopened = api.post(
        f"/api/v1/cases/{first['id']}/reopen", json={"reason": "Asked again."}, headers=headers["olive"]
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert run_sweep(lifecycle_of(life), dry_run=False).due == ()


def test_a_note_on_a_closed_case_counts_as_correspondence_for_its_archive_window(
    api: TestClient, life: Services, headers: dict, tmp_path: Path
) -> None:
    first, _, _ = _first_case(api, life, headers, tmp_path)  # last letter 10 September
    note = {"kind": "progress_summary", "text": "Letter from the school.", "date": "2026-11-02"}
    assert api.post(f"/api/v1/cases/{first['id']}/notes", json=note, headers=headers["olive"]).status_code == 201

    run_sweep(lifecycle_of(life), dry_run=False)

    archived = _case(api, headers, first["id"])
    assert (archived["status"], archived["last_correspondence"], archived["archive_until"]) == (
        "archived",
        "2026-11-02",
        "2027-11-02",
    )
    later = {"kind": "progress_summary", "text": "A late letter.", "date": "2026-11-20"}
    assert api.post(f"/api/v1/cases/{first['id']}/notes", json=later, headers=headers["olive"]).status_code == 201
    assert _case(api, headers, first["id"])["last_correspondence"] == "2026-11-20"


def _restore_rules(life: Services, case_id: int) -> list[str]:
    """The rule named by each restore row of the case: requested, then done."""
    with life.new_session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(
                col(AuditEvent.action).in_(["retention.restore.requested", "retention.restore"]),
                AuditEvent.subject_id == str(case_id),
            )
            .order_by(col(AuditEvent.id))
        ).all()
    return [json.loads(row.details)["rule"] for row in rows]
