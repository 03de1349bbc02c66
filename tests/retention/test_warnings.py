"""Warnings before destruction: what falls due in the next days, with the names and
references managers act on, and a person with an open case never destroyed without
a manager's approval, whatever the approval setting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.models import Role
from casevault.retention.sweep import run_sweep
from tests.retention.seeding import lifecycle_of, seed_person
from tests.tokens import token

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)

TODAY = dt.date(2026, 11, 24)  # the test clock's today


@pytest.fixture
def api(life: Services) -> Iterator[TestClient]:
    with TestClient(create_app(life)) as client:
        yield client


@pytest.fixture
def headers(life: Services) -> dict[str, dict[str, str]]:
    made = {role.value: token(life, name, role) for name, role in (("maya", Role.manager), ("olive", Role.officer))}
    return {**made, "admin": token(life, "adam", Role.admin), "no token": {}}


def _due(api: TestClient, headers: dict, **params: object):
    return api.get("/api/v1/retention/due", params=params, headers=headers)


def test_within_days_lists_what_falls_due_with_names_and_references(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    soon = seed_person(life, tmp_path, born=dt.date(2001, 12, 10), documents=1, closed_on=dt.date(2026, 10, 1))
    seed_person(life, tmp_path, born=dt.date(2002, 6, 1), documents=1, closed_on=dt.date(2026, 10, 1))
    run_sweep(lifecycle_of(life), dry_run=False)  # both archived: only destructions are left to come

    assert _due(api, headers["manager"]).json()["items"] == []
    assert _due(api, headers["manager"], within_days=15).json()["items"] == []
    answer = _due(api, headers["manager"], within_days=16).json()
    assert (answer["as_of"], answer["until"]) == ("2026-11-24", "2026-12-10")
    [item] = answer["items"]
    assert (item["kind"], item["person_id"], item["full_name"], item["due_on"]) == (
        "destroy_person",
        soon.person_id,
        "Robin Example",
        "2026-12-10",
    )
    assert (item["case_reference"], item["case_references"]) == (None, [f"SEN-T-{soon.person_id:05d}"])
    later = _due(api, headers["manager"], as_of="2027-05-01", within_days=366).json()
    assert later["until"] == "2028-05-01" and len(later["items"]) == 2
    with life.new_session() as session:
        details = " ".join(row[0] for row in session.execute(sa.text("SELECT details FROM audit_event")).all())
    assert "Robin" not in details


@pytest.mark.parametrize(
    ("caller", "within_days", "status"),
    [
        ("manager", 0, 200),
        ("manager", 366, 200),
        ("manager", 367, 422),
        ("manager", -1, 422),
        ("officer", 30, 403),
        ("admin", 30, 403),
        ("no token", 30, 401),
    ],
)
def test_within_days_for_each_role(api: TestClient, headers, caller: str, within_days: int, status: int) -> None:
    assert _due(api, headers[caller], within_days=within_days).status_code == status


def test_a_person_with_an_open_case_waits_for_a_managers_approval_even_with_approvals_off(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    assert life.lifecycle.require_approval is False
    open_case = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1)  # 25 today, case open
    closed = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1, closed_on=dt.date(2026, 10, 1))

    items = {item["person_id"]: item for item in _due(api, headers["manager"]).json()["items"]}
    assert (items[open_case.person_id]["awaiting_approval"], items[open_case.person_id]["awaiting"]) == (
        True,
        "open case",
    )
    assert (items[closed.person_id]["awaiting_approval"], items[closed.person_id]["awaiting"]) == (False, None)

    report = run_sweep(lifecycle_of(life), dry_run=False)
    assert life.vault.has_key(subject=open_case.pseudonym)  # skipped, saying why
    assert not life.vault.has_key(subject=closed.pseudonym)
    [skipped] = [o for o in report.outcomes if o.item == f"destroy_person:person:{open_case.person_id}"]
    assert "approval (open case)" in skipped.why

    approval = api.post(
        "/api/v1/retention/approvals", json={"person_id": open_case.person_id}, headers=headers["manager"]
    )
    assert approval.status_code == 201, approval.text
    assert _due(api, headers["manager"]).json()["items"][0]["awaiting_approval"] is False
    run_sweep(lifecycle_of(life), dry_run=False)
    assert not life.vault.has_key(subject=open_case.pseudonym)


def test_with_approvals_on_the_due_list_says_approval_required(
    api: TestClient, headers, life: Services, tmp_path: Path
) -> None:
    seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1, closed_on=dt.date(2026, 10, 1))
    [item] = run_sweep(lifecycle_of(life, require_approval=True)).due
    assert (item.awaiting_approval, item.awaiting) == (True, "approval required")
