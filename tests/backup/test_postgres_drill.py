"""The restore drill on PostgreSQL with the filesystem store, as its operator would run it:
pg_dump, keep working (store a page, destroy a young person), lose the database, pg_restore,
then `casevault backup replay-destructions` before the service starts again."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.cli.audit import audit_group
from casevault.cli.backup import backup
from casevault.cli.retention import retention
from casevault.cli.storage import storage
from casevault.core.clock import FixedClock
from casevault.core.errors import ConfigurationError
from casevault.core.migrate import upgrade
from casevault.core.models import DataKey, DestructionCertificate, Document, Person, Role, Tier
from casevault.core.settings import load_settings
from casevault.ingest.search import search
from tests.backup.drill import DOOMED, KEPT, LATER_WORD, add_document, add_person, files_holding, told_about
from tests.local_servers import fresh_postgres_database
from tests.tokens import new_user

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump and pg_restore are not installed")


def run(container: Services, group: object, *args: str) -> Result:
    return CliRunner().invoke(group, [str(arg) for arg in args], obj=container)  # type: ignore[arg-type]


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres_database("casevault_drill") as url:
        upgrade(url)
        yield url


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _drop_and_recreate(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def test_replaying_the_ledger_after_a_database_restore_destroys_again(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", database_url=database_url, chunk_size_kb=4)
    init_storage(settings)
    # Now, as the store dates its files: an object no row points to is an orphan only once older than the repair's cut.
    clock = FixedClock(dt.datetime.now(dt.UTC))
    container = Services(settings, clock=clock)
    doomed = add_person(container, tmp_path, DOOMED)
    kept = add_person(container, tmp_path, KEPT)
    dump = tmp_path / "casevault.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(database_url)], check=True)

    clock.advance(dt.timedelta(days=1))
    later = add_document(container, tmp_path, kept, word=LATER_WORD, index=9)
    later_keys = kept.object_keys[-2:]
    assert run(container, retention, "run").exit_code == 0
    container.close()

    _drop_and_recreate(database_url)
    subprocess.run(["pg_restore", "-d", _libpq(database_url), str(dump)], check=True)
    clock.advance(dt.timedelta(days=1))
    restored = Services(settings, clock=clock)
    result = run(restored, backup, "replay-destructions")

    assert result.exit_code == 0, result.output
    assert "1 people or declined cases destroyed again" in result.output
    assert "removed 2 objects stored after the backup" in result.output
    manager, _ = new_user(restored, "maya", Role.manager)
    with restored.new_session() as session:
        assert session.exec(select(Person).where(Person.pseudonym == doomed.pseudonym)).first() is None
        assert session.get(DataKey, doomed.pseudonym) is None
        assert session.get(Document, later) is None
        assert "replay" in session.exec(select(DestructionCertificate)).one().authorised_by
        assert search(session, query=DOOMED["word"], user=manager, case_id=None).hits == []
        assert len(search(session, query=KEPT["word"], user=manager, case_id=None).hits) == 2
    stored = [*doomed.object_keys, *later_keys]
    assert not any(restored.vault.exists(object_key=key, tier=tier) for key in stored for tier in Tier)
    for told in told_about(DOOMED):
        assert files_holding(settings.data_dir, told) == [], told
    checked = run(restored, storage, "verify")
    assert checked.exit_code == 0, checked.output
    chain = run(restored, audit_group, "verify")
    assert chain.exit_code == 0, chain.output
    again = run(restored, backup, "replay-destructions")  # safe to repeat
    assert again.exit_code == 0 and "1 already destroyed in this database" in again.output, again.output
    restored.close()


def test_backup_create_names_the_operators_tools_on_postgresql(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", database_url=database_url)
    init_storage(settings)
    container = Services(settings)
    result = run(container, backup, "create")
    assert isinstance(result.exception, ConfigurationError)
    assert "pg_dump" in str(result.exception) and "replay-destructions" in str(result.exception)
    container.close()
