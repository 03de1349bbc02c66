"""Fixity: storage verify finds missing, corrupt and orphan objects; repair removes
only old orphans and never an object a row points to."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from click.testing import CliRunner

from casevault.app.services import Services
from casevault.archive import Vault
from casevault.archive.fixity import verify_storage
from casevault.cli.keys import keys
from casevault.cli.storage import storage
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory, transaction
from casevault.core.models import Case, Document, Person, ProvidedBy, ReferralSource, StoredObject, Tier, Variant
from casevault.core.settings import Settings
from tests.archive.conftest import lifecycle_tags, write_file


def _document_with_object(vault: Vault, new_session: SessionFactory, tmp_path: Path, data: bytes) -> StoredObject:
    """A person, a case, a document and its stored original, as ingest would leave them.

    The object is stored before the write transaction opens: the vault creates a new
    person's data key in its own transaction, which SQLite would queue behind ours."""
    person = Person(full_name="Test Person", date_of_birth=dt.date(2012, 5, 1))
    put = vault.put(
        subject=person.pseudonym, source=write_file(tmp_path / "doc", data), tier=Tier.active, tags=lifecycle_tags()
    )
    with transaction(new_session) as session:
        session.add(person)
        session.flush()
        case = Case(
            reference=f"C-{os.urandom(4).hex()}", person_id=person.id, referral_date=dt.date(2026, 1, 5),
            referral_source=ReferralSource.parent_carer,
        )  # fmt: skip
        session.add(case)
        session.flush()
        document = Document(
            case_id=case.id, original_filename="letter.pdf", content_type="application/pdf", size=put.size,
            sha256=put.sha256, correspondence_date=dt.date(2026, 1, 5), provided_by=ProvidedBy.school,
        )  # fmt: skip
        session.add(document)
        session.flush()
        stored = StoredObject(
            document_id=document.id, variant=Variant.original, object_key=put.object_key, tier=Tier.active,
            sha256=put.sha256, size=put.size, stored_size=put.stored_size,
        )  # fmt: skip
        session.add(stored)
    return stored


def _corrupt(vault: Vault, key: str) -> None:
    with vault.store.reader(tier=Tier.active, key=key) as stored:
        data = bytearray(stored.read())
    data[-5] ^= 0xFF
    with vault.store.writer(tier=Tier.active, key=key, tags=lifecycle_tags().as_dict()) as sink:
        sink.write(bytes(data))


def test_verify_finds_missing_corrupt_and_orphan_objects_and_repairs_only_old_orphans(
    vault: Vault, new_session: SessionFactory, tmp_path: Path
) -> None:
    healthy = _document_with_object(vault, new_session, tmp_path, os.urandom(9000))
    corrupt = _document_with_object(vault, new_session, tmp_path, os.urandom(9000))
    missing = _document_with_object(vault, new_session, tmp_path, b"short")
    _corrupt(vault, corrupt.object_key)
    vault.delete_everywhere([missing.object_key])
    orphan = vault.put(
        subject="p_" + "0" * 24,
        source=write_file(tmp_path / "o", b"left behind"),
        tier=Tier.active,
        tags=lifecycle_tags(),
    )
    now = dt.datetime.now(dt.UTC)

    report = verify_storage(vault=vault, new_session=new_session, clock=FixedClock(now), repair=True)

    assert (report.checked, report.ok) == (3, 1)
    assert [f.object_key for f in report.missing] == [missing.object_key]
    assert [f.object_key for f in report.corrupt] == [corrupt.object_key]
    assert [f.object_key for f in report.orphans] == [orphan.object_key]
    assert report.removed_orphans == 0, "a fresh orphan may be a write in progress"
    assert vault.exists(object_key=orphan.object_key, tier=Tier.active)

    later = FixedClock(now + dt.timedelta(days=8))
    repaired = verify_storage(vault=vault, new_session=new_session, clock=later, repair=True)

    assert repaired.removed_orphans == 1
    assert not vault.exists(object_key=orphan.object_key, tier=Tier.active)
    assert not list(v for v in vault.store.list_versions(tier=Tier.active) if v.key == orphan.object_key)
    # Objects rows point to are never removed, even unreadable ones.
    assert vault.exists(object_key=healthy.object_key, tier=Tier.active)
    assert vault.exists(object_key=corrupt.object_key, tier=Tier.active)
    assert repaired.problems == 2  # the missing and the corrupt one remain for a person to look at


def test_a_clean_store_verifies_clean(
    vault: Vault, new_session: SessionFactory, tmp_path: Path, clock: FixedClock
) -> None:
    stored = _document_with_object(vault, new_session, tmp_path, os.urandom(5000))
    report = verify_storage(vault=vault, new_session=new_session, clock=clock)
    assert (report.checked, report.ok, report.problems) == (1, 1, 0)
    assert vault.exists(object_key=stored.object_key, tier=Tier.active)


# --- the commands ---------------------------------------------------------------------


def test_storage_commands_init_verify_and_rotate(settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    container = Services(settings, clock=clock)
    runner = CliRunner()
    try:
        first = runner.invoke(storage, ["init"], obj=container)
        assert first.exit_code == 0, first.output
        assert "changed: created key file" in first.output
        again = runner.invoke(storage, ["init"], obj=container)
        assert "nothing to change" in again.output

        _document_with_object(container.vault, container.new_session, tmp_path, b"a letter")
        clean = runner.invoke(storage, ["verify"], obj=container)
        assert clean.exit_code == 0 and "1 ok" in clean.output

        container.vault.put(
            subject="p_" + "1" * 24, source=write_file(tmp_path / "o", b"x"), tier=Tier.active, tags=lifecycle_tags()
        )
        dirty = runner.invoke(storage, ["verify", "--repair", "--grace-days", "7"], obj=container)
        assert dirty.exit_code == 1 and "1 orphans" in dirty.output

        rotated = runner.invoke(keys, ["rotate"], obj=container)
        assert rotated.exit_code == 0 and "re-wrapped 2 data keys; 0 still to do" in rotated.output
        assert "retired" in rotated.output
    finally:
        container.close()
