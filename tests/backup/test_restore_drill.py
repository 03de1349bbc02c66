"""The restore drill, as an operator would run it with the `casevault` command: back up,
keep working (store a page, destroy a young person), lose the data directory, restore.
The destroyed person must be gone again, everything in the backup readable, and what
came after the backup reported as not in it. A stolen backup without the key reveals
nothing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.archive.ledger import LedgerUnreadable
from casevault.cli import cli
from casevault.cli.audit import audit_group
from casevault.cli.backup import backup
from casevault.cli.keys import keys
from casevault.cli.retention import retention
from casevault.cli.storage import storage
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.errors import Conflict, IntegrityFailure
from casevault.core.models import (
    Case,
    CaseNote,
    DataKey,
    DestructionCertificate,
    Document,
    NoteKind,
    Person,
    ReferralSource,
    Role,
    Tier,
)
from casevault.core.settings import Settings, load_settings
from casevault.ingest.search import search
from tests.backup.drill import DOOMED, KEPT, LATER_WORD, add_document, add_person, files_holding, told_about
from tests.tokens import new_user

PASSPHRASE = "correct horse battery staple"
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
NOTE_WORD = "Zephyrinthe"  # a word no other row holds
NOTE = f"The school asked about {NOTE_WORD} support."


def run(container: Services, group: object, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(group, [str(arg) for arg in args], obj=container, input=stdin)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """The embedded default: database and objects in the data directory, backups beside it."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copyfile(sqlite_template, data_dir / "casevault.db")
    made = load_settings(data_dir=data_dir, chunk_size_kb=4)
    init_storage(made)
    return made


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    built = Services(settings, clock=clock)
    yield built
    built.close()


def _backup(container: Services) -> Path:
    made = run(container, backup, "create")
    assert made.exit_code == 0, made.output
    [found] = container.backups.list()
    return found.path


def test_a_restored_backup_destroys_again_who_was_destroyed_after_it(
    container: Services, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    doomed = add_person(container, tmp_path, DOOMED)
    kept = add_person(container, tmp_path, KEPT)
    escrow = tmp_path / "offline" / "keys.escrow"
    escrow.parent.mkdir()
    exported = run(container, keys, "export", escrow, stdin=PASSPHRASE + "\n")
    assert exported.exit_code == 0, exported.output
    archive = _backup(container)

    # After the backup: a page for one person, and the other, long past 25, is destroyed by the sweep.
    clock.set(dt.datetime(2026, 7, 14, 2, 0, tzinfo=dt.UTC))
    later = add_document(container, tmp_path, kept, word=LATER_WORD, index=9)
    swept = run(container, retention, "run")
    assert swept.exit_code == 0 and "certificate" in swept.output, swept.output
    with container.new_session() as session:
        original = session.exec(select(DestructionCertificate)).one()
    # Where copies remain: backups made before it, for CASEVAULT_BACKUP_KEEP (7) days at most.
    assert original.method.startswith("cryptographic erase: every object version")
    assert "backups made before the destruction may hold copies until 2026-07-21" in original.method

    # The data directory is lost, keys and all; the backups and the ledger beside it are not.
    container.close()
    shutil.rmtree(settings.data_dir)
    clock.set(dt.datetime(2026, 7, 20, 8, 0, tzinfo=dt.UTC))
    restored = Services(settings, clock=clock)
    imported = run(restored, keys, "import", escrow, stdin=PASSPHRASE + "\n")
    assert imported.exit_code == 0, imported.output
    result = run(restored, backup, "restore", archive)
    assert result.exit_code == 0, result.output
    assert "1 destructions since were replayed" in result.output
    assert "1 people or declined cases destroyed again" in result.output
    assert "The service may start" in result.output

    manager, _ = new_user(restored, "maya", Role.manager)
    with restored.new_session() as session:
        assert session.exec(select(Person).where(Person.pseudonym == doomed.pseudonym)).first() is None
        assert session.get(DataKey, doomed.pseudonym) is None
        assert session.get(Document, later) is None  # stored after the backup: not in it
        replay = session.exec(select(DestructionCertificate)).one()
        assert search(session, query=DOOMED["word"], user=manager, case_id=None).hits == []
        hits = search(session, query=KEPT["word"], user=manager, case_id=None).hits
        assert sorted(hit.document_id for hit in hits) == kept.document_ids[:2]
    assert replay.subject == doomed.pseudonym
    assert "replay" in replay.authorised_by and f"certificate {original.id}" in replay.authorised_by
    assert not any(restored.vault.exists(object_key=key, tier=tier) for key in doomed.object_keys for tier in Tier)
    for told in told_about(DOOMED):
        assert files_holding(settings.data_dir, told) == [], told
    for key in kept.object_keys[:4]:  # everything in the backup reads back and verifies
        with restored.vault.open(subject=kept.pseudonym, object_key=key, tier=Tier.active) as chunks:
            assert KEPT["word"].encode() in b"".join(chunks)
    checked = run(restored, storage, "verify")
    assert checked.exit_code == 0, checked.output
    assert "0 missing, 0 corrupt or unreadable, 0 orphans" in checked.output
    chain = run(restored, audit_group, "verify")
    assert chain.exit_code == 0, chain.output
    restored.close()


def test_a_stolen_backup_without_the_key_reveals_no_name_and_no_word(container: Services, tmp_path: Path) -> None:
    add_person(container, tmp_path, DOOMED)
    archive = _backup(container)
    data = archive.read_bytes()
    for told in [*told_about(DOOMED), "letter-0.pdf", "SEN-B-"]:
        assert told.encode() not in data and told.lower().encode() not in data, told
    verified = run(container, backup, "verify", archive)
    assert verified.exit_code == 0, verified.output
    assert "verifies: " in verified.output and "2 documents" in verified.output
    assert list((container.settings.data_dir / "tmp").iterdir()) == []  # the plaintext snapshot is gone


def test_a_changed_byte_fails_verification(container: Services, tmp_path: Path) -> None:
    add_person(container, tmp_path, KEPT)
    archive = _backup(container)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    result = run(container, backup, "verify", archive)
    assert isinstance(result.exception, IntegrityFailure), result.output
    assert "failed authentication" in str(result.exception)


def test_key_escrow_round_trip_and_a_wrong_passphrase_is_refused(container: Services, tmp_path: Path) -> None:
    key_file = container.settings.key_file
    assert key_file is not None
    original = key_file.read_text()
    escrow = tmp_path / "keys.escrow"
    assert run(container, keys, "export", escrow, stdin=PASSPHRASE + "\n").exit_code == 0
    assert original.split()[-1].encode() not in escrow.read_bytes()
    again = run(container, keys, "export", escrow, stdin=PASSPHRASE + "\n")
    assert isinstance(again.exception, Conflict)  # an escrow file is never overwritten
    shutil.rmtree(key_file.parent)

    wrong = run(container, keys, "import", escrow, stdin="not the passphrase at all\n")
    assert isinstance(wrong.exception, IntegrityFailure) and "wrong passphrase" in str(wrong.exception)
    assert not key_file.exists()
    right = run(container, keys, "import", escrow, stdin=PASSPHRASE + "\n")
    assert right.exit_code == 0, right.output
    assert key_file.read_text() == original
    assert (key_file.parent / "audit-mac.key").exists()
    assert os.stat(key_file).st_mode & 0o077 == 0


def test_a_restore_into_a_data_directory_in_use_is_refused(container: Services, tmp_path: Path) -> None:
    kept = add_person(container, tmp_path, KEPT)
    archive = _backup(container)
    result = run(container, backup, "restore", archive)
    assert isinstance(result.exception, Conflict) and "not empty" in str(result.exception)
    with container.new_session() as session:
        assert session.get(Person, kept.person_id) is not None


def test_an_unreadable_ledger_stops_the_restore_before_anything_is_written(
    container: Services, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    add_person(container, tmp_path, DOOMED)
    archive = _backup(container)
    clock.set(dt.datetime(2026, 7, 14, 2, 0, tzinfo=dt.UTC))
    assert run(container, retention, "run").exit_code == 0
    assert settings.backup_dir is not None
    [entry] = (settings.backup_dir / "ledger").iterdir()
    entry.write_text("{not json")
    container.close()
    shutil.rmtree(settings.data_dir / "objects")
    (settings.data_dir / "casevault.db").unlink()
    for leftover in settings.data_dir.glob("casevault.db-*"):
        leftover.unlink()
    shutil.rmtree(settings.data_dir / "tmp", ignore_errors=True)

    result = run(Services(settings, clock=clock), backup, "restore", archive)

    assert isinstance(result.exception, LedgerUnreadable)
    assert "damaged" in str(result.exception) and "ledger" in str(result.exception)
    assert sorted(path.name for path in settings.data_dir.iterdir()) == ["keys"]


def test_no_process_starts_on_a_restore_that_did_not_finish(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEVAULT_DATA_DIR", str(settings.data_dir))
    (settings.data_dir / "RESTORE-PENDING").write_text("0123456789abcdef\n")
    for command in ("run", "api", "worker", "beat", "init"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code != 0, command
        assert "did not finish" in result.output and "0123456789abcdef" in result.output
    assert CliRunner().invoke(cli, ["backup", "list"]).exit_code == 0


def test_a_restore_stops_when_the_ledger_is_missing_entries_it_had_at_the_backup(
    container: Services, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    add_person(container, tmp_path, DOOMED)
    clock.set(dt.datetime(2026, 6, 2, 2, 0, tzinfo=dt.UTC))
    assert run(container, retention, "run").exit_code == 0  # destroyed before the backup: one ledger entry
    archive = _backup(container)
    container.close()
    shutil.rmtree(settings.data_dir / "objects")
    for database in settings.data_dir.glob("casevault.db*"):
        database.unlink()
    shutil.rmtree(settings.data_dir / "tmp", ignore_errors=True)
    assert settings.backup_dir is not None
    shutil.rmtree(settings.backup_dir / "ledger")  # lost with a disk, say

    result = run(Services(settings, clock=clock), backup, "restore", archive)

    assert isinstance(result.exception, LedgerUnreadable)
    assert "held 1 when this backup was made" in str(result.exception)
    assert sorted(path.name for path in settings.data_dir.iterdir()) == ["keys"]


def test_the_daily_backup_keeps_the_newest_ones(settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    container = Services(settings.model_copy(update={"backup_keep": 2}), clock=clock)
    add_person(container, tmp_path, KEPT, documents=1)
    made = []
    for _ in range(3):
        made.append(container.backups.daily()[0].path)
        clock.advance(dt.timedelta(days=1))
    assert [backup.path for backup in container.backups.list()] == made[1:]
    container.close()


def test_a_restored_backup_destroys_again_a_referral_declined_after_it(
    container: Services, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """A school's referral of someone known already, declined after the backup: the restore
    brings the case back, and the ledger's entry (its case id) destroys it again."""
    kept = add_person(container, tmp_path, KEPT, documents=1)
    manager, _ = new_user(container, "maya", Role.manager)
    with transaction(container.new_session) as session:
        referral = container.cases.open(
            session, person_id=kept.person_id, referral_date=dt.date(2026, 5, 20),
            referral_source=ReferralSource.professional, officer=None, user=manager,
        )  # fmt: skip
        session.add(CaseNote(case_id=referral.id, kind=NoteKind.progress_summary, text=NOTE, date=dt.date(2026, 5, 20)))
        declined_id = referral.id
    escrow = tmp_path / "offline" / "keys.escrow"
    escrow.parent.mkdir()
    assert run(container, keys, "export", escrow, stdin=PASSPHRASE + "\n").exit_code == 0
    archive = _backup(container)

    clock.set(dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC))
    declined = container.consents.decline_referral(case_id=declined_id, user=manager)
    assert not declined.person_destroyed

    container.close()
    shutil.rmtree(settings.data_dir)
    restored = Services(settings, clock=clock)
    assert run(restored, keys, "import", escrow, stdin=PASSPHRASE + "\n").exit_code == 0
    result = run(restored, backup, "restore", archive)
    assert result.exit_code == 0, result.output
    assert "1 people or declined cases destroyed again" in result.output
    with restored.new_session() as session:
        assert session.get(Case, declined_id) is None
        assert session.get(Case, kept.case_id) is not None  # her own case stays, and she does
        assert session.exec(select(Person).where(Person.pseudonym == kept.pseudonym)).one()
        [replay] = session.exec(select(DestructionCertificate)).all()
    assert replay.cases == 1 and replay.rule == "referral-declined"
    assert f"certificate {declined.certificate_id}" in replay.authorised_by
    assert files_holding(settings.data_dir, NOTE_WORD) == []
    restored.close()
