"""A case's history: every closing kept through reopening, shown on the case; who may
reopen, and what cannot be reopened."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, CaseStatus


def _close(client: TestClient, headers: dict, case_id: int, closed_on: str, outcome: str) -> dict:
    closing = {"closed_on": closed_on, "outcome": outcome, "outcome_code": "advice_given"}
    answer = client.post(f"/api/v1/cases/{case_id}/close", json=closing, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _reopen(client: TestClient, headers: dict, case_id: int, reason: str = "The family asked again."):
    return client.post(f"/api/v1/cases/{case_id}/reopen", json={"reason": reason}, headers=headers)


def test_closing_a_reopened_case_keeps_every_earlier_outcome(client: TestClient, callers, case: dict) -> None:
    officer = callers["officer"].headers
    _close(client, officer, case["id"], "2026-10-01", "Plan agreed.")
    reopened = _reopen(client, officer, case["id"])
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["outcome"], reopened.json()["closed_on"]) == ("open", None, None)
    _close(client, officer, case["id"], "2026-11-20", "Tribunal avoided.")

    history = client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["history"]
    assert [(h["closed_on"], h["outcome"], h["closed_by"]) for h in history] == [
        ("2026-10-01", "Plan agreed.", "olive"),
        ("2026-11-20", "Tribunal avoided.", "olive"),
    ]
    assert (history[0]["reopened_by"], history[0]["reopen_reason"]) == ("olive", "The family asked again.")
    assert history[1]["reopened_at"] is None


def test_reopen_for_each_role(client: TestClient, callers, case: dict) -> None:
    _close(client, callers["officer"].headers, case["id"], "2026-10-01", "Plan agreed.")
    assert _reopen(client, {}, case["id"]).status_code == 401
    assert _reopen(client, callers["admin"].headers, case["id"]).status_code == 403
    assert _reopen(client, callers["other_officer"].headers, case["id"]).status_code == 404  # as if missing
    assert _reopen(client, callers["officer"].headers, 999999).status_code == 404
    by_manager = _reopen(client, callers["manager"].headers, case["id"])
    assert by_manager.status_code == 200 and by_manager.json()["history"][0]["reopened_by"] == "maya"
    again = _reopen(client, callers["officer"].headers, case["id"])
    assert again.status_code == 409 and "already open" in again.json()["detail"]


def test_the_reason_is_required_and_stays_out_of_the_audit_log(
    client: TestClient, callers, case: dict, container: Services
) -> None:
    officer = callers["officer"].headers
    _close(client, officer, case["id"], "2026-10-01", "Plan agreed.")
    assert _reopen(client, officer, case["id"], reason="").status_code == 422
    assert _reopen(client, officer, case["id"], reason="   ").status_code == 422
    assert _reopen(client, officer, case["id"], reason="Concern from Dr Jones").status_code == 200
    with container.new_session() as session:
        rows = session.execute(sa.text("SELECT action, details FROM audit_event")).all()
    assert "case.reopen" in {action for action, _ in rows}
    assert "Jones" not in " ".join(details for _, details in rows)


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (CaseStatus.archived, "restores it first"),
        (CaseStatus.restoring, "being restored"),
        (CaseStatus.destroyed, "destroyed"),
    ],
)
def test_an_archived_restoring_or_destroyed_case_is_not_reopened(
    client: TestClient, callers, case: dict, container: Services, status: CaseStatus, says: str
) -> None:
    _close(client, callers["officer"].headers, case["id"], "2026-10-01", "Plan agreed.")
    with transaction(container.new_session) as session:
        row = session.get(Case, case["id"])
        row.status = status
        session.add(row)
    answer = _reopen(client, callers["manager"].headers, case["id"])
    assert answer.status_code == 409 and says in answer.json()["detail"]
    assert client.get(f"/api/v1/cases/{case['id']}", headers=callers["manager"].headers).json()["status"] == status


def test_a_case_never_closed_has_no_history(client: TestClient, callers, case: dict) -> None:
    assert client.get(f"/api/v1/cases/{case['id']}", headers=callers["officer"].headers).json()["history"] == []
