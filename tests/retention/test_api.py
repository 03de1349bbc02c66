"""The lifecycle over HTTP: holds, the due list, approvals, restore, certificates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.models import Role, Tier
from casevault.retention.sweep import run_sweep
from tests.retention.seeding import lifecycle_of, seed_person, versions_in
from tests.tokens import token

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)


@pytest.fixture
def api(life: Services) -> Iterator[TestClient]:
    with TestClient(create_app(life)) as client:
        yield client


@pytest.fixture
def headers(life: Services) -> dict[str, dict[str, str]]:
    return {
        role.value: token(life, name, role)
        for name, role in (("maya", Role.manager), ("olive", Role.officer), ("adam", Role.admin))
    }


def test_holds_are_for_managers_and_the_reason_stays_out_of_the_audit_log(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1)
    body = {"person_id": seeded.person_id, "kind": "safeguarding", "reason": "Concern raised by Dr Jones"}
    assert api.post("/api/v1/holds", json=body, headers=headers["officer"]).status_code == 403
    assert (
        api.post("/api/v1/holds", json={**body, "case_id": seeded.case_id}, headers=headers["manager"]).status_code
        == 422
    )

    placed = api.post("/api/v1/holds", json=body, headers=headers["manager"])
    assert placed.status_code == 201, placed.text
    hold = placed.json()

    due = api.get("/api/v1/retention/due", headers=headers["manager"]).json()
    [item] = due["items"]
    assert (item["kind"], item["held"], item["hold_ids"]) == ("destroy_person", True, [hold["id"]])
    assert run_sweep(lifecycle_of(life), dry_run=False).due[0].action.held
    assert life.vault.has_key(subject=seeded.pseudonym)

    released = api.delete(f"/api/v1/holds/{hold['id']}", headers=headers["manager"])
    assert released.status_code == 200 and released.json()["released_at"] is not None
    assert api.delete(f"/api/v1/holds/{hold['id']}", headers=headers["manager"]).status_code == 409
    with life.new_session() as session:
        details = " ".join(row[0] for row in session.execute(sa.text("SELECT details FROM audit_event")).all())
    assert "Jones" not in details and "Concern" not in details


def test_due_list_is_for_managers_and_previews_a_later_day(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    seed_person(life, tmp_path, born=dt.date(2002, 1, 10), documents=1)
    assert api.get("/api/v1/retention/due", headers=headers["officer"]).status_code == 403
    assert api.get("/api/v1/retention/due", headers=headers["manager"]).json()["items"] == []
    later = api.get("/api/v1/retention/due", params={"as_of": "2027-01-10"}, headers=headers["manager"]).json()
    assert [(i["kind"], i["due_on"], i["rule"]) for i in later["items"]] == [
        ("destroy_person", "2027-01-10", "destroy-at-age")
    ]


def test_approval_then_certificate(api: TestClient, headers, life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1)
    lifecycle = lifecycle_of(life, require_approval=True)
    assert run_sweep(lifecycle, dry_run=False).due[0].awaiting_approval
    approved = api.post("/api/v1/retention/approvals", json={"pseudonym": seeded.pseudonym}, headers=headers["manager"])
    assert approved.status_code == 201, approved.text
    run_sweep(lifecycle, dry_run=False)

    assert api.get("/api/v1/certificates", headers=headers["officer"]).status_code == 403
    [certificate] = api.get("/api/v1/certificates", headers=headers["manager"]).json()["certificates"]
    assert certificate["subject"] == seeded.pseudonym
    assert certificate["authorised_by"] == "maya"  # the approving manager, by username
    assert "Robin" not in str(certificate) and "2001" not in str(certificate)


def test_approving_a_destruction_not_yet_due_is_refused(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2005, 1, 1), documents=1)
    answer = api.post("/api/v1/retention/approvals", json={"person_id": seeded.person_id}, headers=headers["manager"])
    assert answer.status_code == 409


def test_manager_restores_an_archived_case(api: TestClient, headers, life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    assert (
        api.post(f"/api/v1/cases/{seeded.case_id}/restore", headers=headers["manager"]).status_code == 409
    )  # not archived yet
    run_sweep(lifecycle_of(life), dry_run=False)
    assert api.post(f"/api/v1/cases/{seeded.case_id}/restore", headers=headers["officer"]).status_code == 403

    answer = api.post(f"/api/v1/cases/{seeded.case_id}/restore", headers=headers["manager"])
    assert answer.status_code == 202 and answer.json()["status"] == "restoring"

    run_sweep(lifecycle_of(life), dry_run=False)  # the worker's task, or the next sweep, finishes it
    restored = api.get(f"/api/v1/cases/{seeded.case_id}", headers=headers["manager"]).json()
    assert (restored["status"], restored["closed_on"], restored["outcome"]) == ("closed", "2026-10-01", "Resolved.")
    assert sorted(versions_in(life, Tier.active, seeded.object_keys)) == sorted(seeded.object_keys)
