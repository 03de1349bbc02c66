"""`casevault retention run|due|publish-schedule` on a real database and store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from casevault.app.services import Services
from casevault.cli.retention import retention
from casevault.core.models import AuditEvent, Case, CaseStatus
from casevault.retention.schedule import default_schedule_path
from tests.retention.seeding import seed_person

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)


def invoke(container: Services, *args: str) -> Result:
    return CliRunner().invoke(retention, list(args), obj=container)


def test_dry_run_prints_what_would_happen_and_changes_nothing(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    result = invoke(life, "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was changed" in result.output
    assert f"archive case {seeded.case_id} due 2026-10-01 rule archive-on-closure" in result.output
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed

    result = invoke(life, "run")
    assert result.exit_code == 0, result.output
    assert f"archive:case:{seeded.case_id}: done" in result.output
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.archived


def test_due_previews_a_later_day_but_run_refuses_it(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2002, 1, 10), documents=1)
    preview = invoke(life, "due", "--as-of", "2027-01-10")
    assert f"destroy_person person {seeded.person_id}" in preview.output
    refused = invoke(life, "run", "--as-of", "2027-01-10")
    assert refused.exit_code != 0 and "destroy records" in str(refused.exception)
    assert life.vault.has_key(subject=seeded.pseudonym)


def test_publishing_a_new_schedule_lists_the_active_cases_to_tell(life: Services, tmp_path: Path) -> None:
    active = seed_person(life, tmp_path, born=dt.date(2010, 5, 1))
    seed_person(life, tmp_path, born=dt.date(2011, 5, 1), closed_on=dt.date(2026, 10, 1))  # closed: not told
    new_file = tmp_path / "schedule-2027.toml"
    text = default_schedule_path().read_text().replace('version = "2026.1"', 'version = "2027.1"')
    new_file.write_text(text.replace("effective_from = 2026-01-01", "effective_from = 2027-01-01"))

    result = invoke(life, "publish-schedule", str(new_file))

    assert result.exit_code == 0, result.output
    assert "1 active case(s)" in result.output
    assert f"case {active.case_id}\tperson {active.person_id}" in result.output
    with life.new_session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "retention.schedule.published")).one()
