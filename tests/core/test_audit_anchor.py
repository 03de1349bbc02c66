"""The keyed audit chain and its anchors in the store: cutting rows out and rewriting the
head in the database is caught and named, whatever hashes the cutter recomputes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from sqlmodel import col, select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.archive.audit_anchor import ANCHOR_PREFIX, anchor_audit_chain, verify_audit_trail
from casevault.archive.audit_keys import LocalMacKeyFile
from casevault.archive.fixity import verify_storage
from casevault.cli import cli
from casevault.core import audit
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.errors import ConfigurationError
from casevault.core.migrate import alembic_config, upgrade
from casevault.core.models import AuditEvent, Tier
from casevault.core.settings import Settings


@pytest.fixture
def ready(container: Services, settings: Settings) -> Services:
    init_storage(settings)
    return container


def _write(container: Services, count: int) -> None:
    for number in range(count):
        with transaction(container.new_session) as session:
            audit.record(
                session, clock=container.clock, actor="user:1", action="case.open",
                subject_type="case", subject_id=number,
            )  # fmt: skip


def _anchor(container: Services) -> audit.ChainAnchor:
    return anchor_audit_chain(store=container.vault.store, new_session=container.new_session, clock=container.clock)


def _verify(container: Services) -> audit.ChainReport:
    return verify_audit_trail(store=container.vault.store, new_session=container.new_session)


def _rows(container: Services) -> list[AuditEvent]:
    with container.new_session() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def _rechain_plainly(container: Services, *, after: AuditEvent, rows: list[AuditEvent], renumber: bool) -> None:
    """What someone with the database but not the key can do: re-link rows with plain
    SHA-256 hashes after a cut, and point the head at the new end."""
    prev_hash, next_id = after.hash, after.id + 1
    with container.engine.begin() as connection:
        for row in rows:
            old_id = row.id
            row.id = next_id if renumber else row.id
            row.prev_hash = prev_hash
            row.hash = audit.event_hash(row)
            connection.execute(
                sa.text("UPDATE audit_event SET id = :id, prev_hash = :prev, hash = :hash WHERE id = :old"),
                {"id": row.id, "prev": row.prev_hash, "hash": row.hash, "old": old_id},
            )
            prev_hash, next_id = row.hash, row.id + 1
        last = rows[-1] if rows else after
        connection.execute(
            sa.text("UPDATE audit_head SET last_id = :id, last_hash = :hash"), {"id": last.id, "hash": prev_hash}
        )


def _delete(container: Services, where: str) -> None:
    with container.engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM audit_event WHERE {where}")


def test_an_untouched_chain_with_anchors_passes(ready: Services, clock: FixedClock) -> None:
    _write(ready, 10)
    _anchor(ready)
    clock.advance(dt.timedelta(days=1))
    _write(ready, 5)
    _anchor(ready)
    report = _verify(ready)
    assert report.ok, report.problem
    assert (report.rows, report.anchors) == (15, 2)


def test_a_middle_range_cut_and_rechained_is_named_by_its_anchor(ready: Services, clock: FixedClock) -> None:
    clock.set(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
    _write(ready, 18)
    _anchor(ready)  # recorded row 18
    clock.advance(dt.timedelta(hours=3))
    _write(ready, 12)
    rows = _rows(ready)
    _delete(ready, "id BETWEEN 12 AND 18")
    _rechain_plainly(ready, after=rows[10], rows=rows[18:], renumber=False)

    report = _verify(ready)

    assert not report.ok
    assert report.first_broken_id == 12
    assert report.problem is not None
    assert report.problem.startswith("rows 12-18 are missing: the anchor of 2026-11-24T02:00Z recorded row 18 with MAC")
    assert rows[17].hash[:16] in report.problem


def test_a_cut_renumbered_and_passed_off_as_unkeyed_is_caught(ready: Services) -> None:
    _write(ready, 18)
    _anchor(ready)
    _write(ready, 12)
    rows = _rows(ready)
    _delete(ready, "id BETWEEN 12 AND 18")
    _rechain_plainly(ready, after=rows[10], rows=rows[18:], renumber=True)
    with ready.engine.begin() as connection:  # claim every row predates the key
        connection.exec_driver_sql("UPDATE audit_head SET mac_from = 1000")

    report = _verify(ready)

    assert not report.ok
    assert "recorded row 1" in report.problem and "keyed part starts at row 1000" in report.problem


def test_the_tail_cut_back_past_an_anchor_is_caught(ready: Services, clock: FixedClock) -> None:
    clock.set(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
    _write(ready, 20)
    _anchor(ready)
    _write(ready, 5)
    rows = _rows(ready)
    _delete(ready, "id >= 15")
    with ready.engine.begin() as connection:  # the head now honestly names row 14
        connection.execute(sa.text("UPDATE audit_head SET last_id = 14, last_hash = :h"), {"h": rows[13].hash})

    report = _verify(ready)

    assert not report.ok
    assert report.first_broken_id == 15
    assert report.problem.startswith("rows 15-20 are missing: the anchor of 2026-11-24T02:00Z recorded row 20")
    assert report.problem.endswith("the database ends at row 14")


def test_an_edited_row_is_caught_even_with_every_later_hash_recomputed(ready: Services) -> None:
    _write(ready, 10)
    _anchor(ready)
    rows = _rows(ready)
    rows[6].actor = "user:2"
    with ready.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_event SET actor = 'user:2' WHERE id = 7")
    _rechain_plainly(ready, after=rows[5], rows=rows[6:], renumber=False)

    report = _verify(ready)

    assert not report.ok and report.first_broken_id == 7
    assert report.problem == "row 7 was altered after it was written"


def test_an_anchor_written_by_someone_else_is_refused(ready: Services) -> None:
    _write(ready, 3)
    anchor = _anchor(ready)
    forged = json.loads(anchor.body()) | {"row_id": 2, "seal": "0" * 64}
    with ready.vault.store.writer(tier=Tier.active, key=f"{ANCHOR_PREFIX}forged-one", tags={}) as sink:
        sink.write(json.dumps(forged).encode())

    report = _verify(ready)

    assert not report.ok
    assert f"{ANCHOR_PREFIX}forged-one" in report.problem and "seal does not match" in report.problem


def test_anchors_are_not_orphans_to_storage_verify(ready: Services) -> None:
    _write(ready, 2)
    _anchor(ready)
    report = verify_storage(vault=ready.vault, new_session=ready.new_session, clock=ready.clock, repair=True)
    assert report.orphans == []
    assert _verify(ready).anchors == 1


def test_a_missing_mac_key_file_says_what_to_restore(ready: Services, settings: Settings) -> None:
    _write(ready, 3)
    path = mac_key_file(settings)
    path.unlink()
    fresh = Services(settings, clock=ready.clock)
    try:
        with pytest.raises(ConfigurationError, match=rf"audit MAC key file {path} is missing: restore it"):
            _write(fresh, 1)
        with pytest.raises(ConfigurationError, match="beside the key file"):
            _verify(fresh)
    finally:
        fresh.close()


def test_the_cli_names_the_missing_mac_key_file(
    ready: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(ready, 2)
    mac_key_file(settings).unlink()
    monkeypatch.setenv("CASEVAULT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CASEVAULT_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code != 0
    assert f"audit MAC key file {mac_key_file(settings)} is missing: restore it" in result.output


def test_a_replaced_mac_key_is_refused_not_used(ready: Services, settings: Settings) -> None:
    _write(ready, 2)
    mac_key_file(settings).unlink()
    init_storage(settings)  # makes a new, different key
    fresh = Services(settings, clock=ready.clock)
    try:
        with pytest.raises(ConfigurationError, match="not the one the audit log is sealed with"):
            _write(fresh, 1)
        report = _verify(fresh)
        assert not report.ok and "restore the audit MAC key" in report.problem
    finally:
        fresh.close()


def test_the_cli_verifies_against_the_anchors(
    ready: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(ready, 6)
    _anchor(ready)
    monkeypatch.setenv("CASEVAULT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CASEVAULT_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "held to 1 anchors" in intact.output
    _delete(ready, "id >= 4")
    with ready.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE audit_head SET last_id = 3, last_hash = (SELECT hash FROM audit_event WHERE id = 3)"
        )
    cut = runner.invoke(cli, ["audit", "verify"])
    assert cut.exit_code == 1
    assert "rows 4-6 are missing" in cut.output


# --- rows written before the key -------------------------------------------------------


def _legacy_rows(database_url: str, count: int) -> None:
    """Rows as earlier versions wrote them: plain SHA-256, schema at 0004."""
    command.downgrade(alembic_config(database_url), "0004")
    engine = sa.create_engine(database_url)
    prev = audit.GENESIS_HASH
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    try:
        with engine.begin() as connection:
            for number in range(1, count + 1):
                row = AuditEvent(
                    id=number, at=at, actor="system", action="old.row", outcome="ok", details="{}",
                    prev_hash=prev, hash="",
                )  # fmt: skip
                row.hash = audit.event_hash(row)
                connection.execute(
                    sa.text("INSERT INTO audit_event (id, at, actor, action, outcome, details, prev_hash, hash) "
                            "VALUES (:id, :at, 'system', 'old.row', 'ok', '{}', :prev, :hash)"),
                    {"id": number, "at": at, "prev": prev, "hash": row.hash},
                )  # fmt: skip
                prev = row.hash
            connection.execute(sa.text("UPDATE audit_head SET last_id = :n, last_hash = :h"), {"n": count, "h": prev})
    finally:
        engine.dispose()
    upgrade(database_url)


def test_rows_from_before_the_key_still_verify_and_the_key_starts_after_them(
    settings: Settings, database_url: str, clock: FixedClock
) -> None:
    _legacy_rows(database_url, 5)
    init_storage(settings)
    container = Services(settings, clock=clock)
    try:
        first = _anchor(container)  # the first start: keyed from here, pinned at once
        assert (first.mac_from, first.row_id) == (6, 6)
        _write(container, 3)
        report = _verify(container)
        assert report.ok, report.problem
        assert report.rows == 9

        # An old row edited and every later plain hash recomputed: the keyed row 6 no longer follows.
        rows = _rows(container)
        rows[2].action = "old.other"
        with container.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE audit_event SET action = 'old.other' WHERE id = 3")
        _rechain_plainly(container, after=rows[1], rows=rows[2:5], renumber=False)
        broken = _verify(container)
        assert not broken.ok and broken.problem == "row 6 does not follow row 5"
    finally:
        container.close()


def mac_key_file(settings: Settings) -> Path:
    assert settings.key_file is not None
    return LocalMacKeyFile(settings.key_file).path
