"""`casevault cases handover`, run as an operator would."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlmodel import select

from casevault.app.services import Services
from casevault.cli import cli
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, CaseStatus
from casevault.core.settings import Settings
from casevault.core.users import revoke_user


@pytest.fixture
def operator(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(f"CASEVAULT_{name}", str(value))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    return runner


def _cases_of(client, headers: dict, person_id: int, count: int) -> list[int]:
    body = {"person_id": person_id, "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    return [client.post("/api/v1/cases", json=body, headers=headers).json()["id"] for _ in range(count)]


def _set_status(container: Services, case_id: int, status: CaseStatus) -> None:
    with transaction(container.new_session) as session:
        case = session.get(Case, case_id)
        case.status, case.closed_on = status, dt.date(2026, 10, 1)
        session.add(case)


def _officer_of(container: Services, case_id: int) -> int | None:
    with container.new_session() as session:
        return session.get(Case, case_id).assigned_officer_id


def test_a_leaving_officers_cases_in_use_go_to_another_officer(
    operator: CliRunner, container: Services, client, callers, person
) -> None:
    open_case, closed, archived = _cases_of(client, callers["officer"].headers, person["id"], 3)
    _set_status(container, closed, CaseStatus.closed)
    _set_status(container, archived, CaseStatus.archived)
    with transaction(container.new_session) as session:
        revoke_user(session, username="olive", clock=container.clock)

    result = operator.invoke(cli, ["cases", "handover", "--from", "olive", "--to", "oscar"])
    assert result.exit_code == 0, result.output
    assert "handed over 2 cases from olive to oscar" in result.output
    oscar, olive = callers["other_officer"].user_id, callers["officer"].user_id
    assert [_officer_of(container, case) for case in (open_case, closed, archived)] == [oscar, oscar, olive]
    with container.new_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "case.assign")).all()
    assert sorted(int(e.subject_id) for e in events) == [open_case, closed]
    assert {e.actor for e in events} == {"cli"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "olive", "--to", "maya"], "not an active officer"),
        (["--from", "olive", "--to", "nobody"], "not an active officer"),
        (["--from", "nobody", "--to", "oscar"], "no user called"),
        (["--from", "olive", "--to", "olive"], "same officer"),
    ],
)
def test_a_handover_is_refused_saying_why(
    operator: CliRunner, container: Services, client, callers, person, args: list[str], says: str
) -> None:
    [case] = _cases_of(client, callers["officer"].headers, person["id"], 1)
    result = operator.invoke(cli, ["cases", "handover", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert _officer_of(container, case) == callers["officer"].user_id
