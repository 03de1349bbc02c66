"""Every destruction is written to the destruction ledger outside the database before its
certificate commits: in the store (S3 too), and with the embedded default also beside the
backups. The ledger's objects are no orphans to `storage verify --repair`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import select

from casevault.app.services import Services
from casevault.archive.ledger import read_mirror, read_store
from casevault.cli.retention import retention
from casevault.cli.storage import storage
from casevault.core.models import DestructionCertificate
from tests.backup.drill import DOOMED, add_person


def test_a_destruction_is_in_the_ledger_of_the_store_and_beside_the_backups(
    backend: str, backend_container: Services, tmp_path: Path
) -> None:
    doomed = add_person(backend_container, tmp_path, DOOMED, documents=1)
    swept = CliRunner().invoke(retention, ["run"], obj=backend_container)
    assert swept.exit_code == 0 and "certificate" in swept.output, swept.output
    with backend_container.new_session() as session:
        certificate = session.exec(select(DestructionCertificate)).one()

    [entry] = read_store(backend_container.store)
    assert (entry.subject, entry.certificate_id) == (doomed.pseudonym, certificate.id)
    assert entry.destroyed_at == certificate.destroyed_at.astimezone(dt.UTC)
    mirror = backend_container.ledger.mirror
    if backend == "filesystem":  # the store lives in the data directory: a copy beside the backups
        assert mirror is not None and not mirror.is_relative_to(backend_container.settings.data_dir)
        assert read_mirror(mirror) == [entry]
    else:
        assert mirror is None
    repaired = CliRunner().invoke(storage, ["verify", "--repair", "--grace-days", "0"], obj=backend_container)
    assert repaired.exit_code == 0, repaired.output
    assert "0 orphans" in repaired.output
    assert [e.name for e in read_store(backend_container.store)] == [entry.name]
