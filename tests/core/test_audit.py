"""The audit chain: intact after many writes, broken by any tampering, named at the first bad row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.cli import cli
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.settings import Settings


def _write_events(container: Services, count: int) -> None:
    for number in range(count):
        with transaction(container.new_session) as session:
            audit.record(
                session,
                clock=container.clock,
                actor="user:1",
                action="case.open",
                subject_type="case",
                subject_id=number,
                details={"n": number},
            )


def _verify(container: Services) -> audit.ChainReport:
    with container.new_session() as session:
        return audit.verify_chain(session, mac_key=container.audit_mac_key)


def _sql(container: Services, statement: str) -> None:
    with container.engine.begin() as connection:
        connection.exec_driver_sql(statement)


def test_an_untouched_chain_verifies(container: Services) -> None:
    _write_events(container, 25)
    report = _verify(container)
    assert report.ok and report.rows == 25


# Only PostgreSQL lets another process append while a verification reads (a transaction
# there sees rows committed after it began); casevault's SQLite sessions hold the write lock.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rows_written_while_the_chain_is_walked_are_not_taken_for_a_cut(container: Services) -> None:
    """A worker records events while `audit verify` runs: the rows after the head it read are
    walked and checked too, and the head is then a row of the chain, not a cut-off end."""
    _write_events(container, 5)
    with container.new_session() as session:
        head = session.get(audit.AuditHead, 1)  # the head as verify reads it first
        assert head is not None and head.last_id == 5
        _write_events(container, 3)  # another process, meanwhile
        report = audit.verify_chain(session, mac_key=container.audit_mac_key)
    assert report.ok and report.rows == 8, report.problem


@pytest.mark.parametrize(
    ("tampering", "first_broken"),
    [
        ("UPDATE audit_event SET details = '{\"n\":99}' WHERE id = 7", 7),
        ("UPDATE audit_event SET actor = 'user:2' WHERE id = 3", 3),
        ("DELETE FROM audit_event WHERE id = 5", 5),
        ("DELETE FROM audit_event WHERE id >= 9", 9),
    ],
    ids=["edited details", "edited actor", "row removed", "tail cut off"],
)
def test_tampering_is_found_at_the_first_broken_row(container: Services, tampering: str, first_broken: int) -> None:
    _write_events(container, 10)
    _sql(container, tampering)
    report = _verify(container)
    assert not report.ok
    assert report.first_broken_id == first_broken


def test_cli_verify_exits_non_zero_naming_the_row(
    container: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_storage(settings)
    _write_events(container, 4)
    monkeypatch.setenv("CASEVAULT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CASEVAULT_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    _sql(container, "UPDATE audit_event SET action = 'case.close' WHERE id = 2")
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "row 2" in result.output


def test_details_refuse_anything_but_ids(container: Services) -> None:
    with transaction(container.new_session) as session:
        with pytest.raises(ValueError, match="ids only"):
            audit.record(
                session, clock=container.clock, actor="user:1", action="note.create", details={"text": "Jamie said"}
            )
        with pytest.raises(ValueError, match="use ids"):
            audit.record(session, clock=container.clock, actor="user:1", action="x", details={"when": sa})
