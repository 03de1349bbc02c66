"""Backups of the embedded default, restoring them, and replaying destructions after any
database restore (``casevault backup ...`` and the daily backup task)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import sqlalchemy as sa

from casevault.archive.audit_anchor import anchor_audit_chain, verify_audit_trail
from casevault.archive.fixity import FixityReport, verify_storage
from casevault.archive.key_providers import KeyProvider
from casevault.archive.ledger import DestructionLedger, LedgerUnreadable, read_mirror
from casevault.archive.store import ObjectStore
from casevault.backup import restore as restoring
from casevault.backup.replay import ReplayReport, replay_destructions, retire_anchors_after_head
from casevault.backup.snapshot import (
    BackupContents,
    BackupFile,
    BackupSource,
    Progress,
    create_backup,
    list_backups,
    prune_backups,
    read_backup,
    total_bytes,
)
from casevault.core import audit, scratch
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import ConfigurationError, IntegrityFailure
from casevault.core.migrate import upgrade
from casevault.core.settings import Settings
from casevault.retention.parts import Lifecycle


class BackupParts(Protocol):
    """What the backup use cases need of the services object."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def key_provider(self) -> KeyProvider: ...

    @property
    def store(self) -> ObjectStore: ...

    @property
    def new_session(self) -> SessionFactory: ...

    @property
    def lifecycle(self) -> Lifecycle: ...

    @property
    def ledger(self) -> DestructionLedger: ...


@dataclass
class RestoreReport:
    backup: BackupContents
    replay: ReplayReport
    anchors_retired: list[str]
    storage: FixityReport
    audit_rows: int
    ledger_after_backup: int  # ledger entries newer than the backup


@dataclass
class DatabaseReplayReport:
    replay: ReplayReport
    anchors_retired: list[str] = field(default_factory=list)
    storage: FixityReport | None = None


class BackupWork:
    def __init__(self, services: BackupParts) -> None:
        self._services = services

    @property
    def directory(self) -> Path:
        directory = self._services.settings.backup_dir
        assert directory is not None  # resolved settings always name it
        return directory

    def create(self, *, destination: Path | None = None, progress: Progress | None = None) -> BackupFile:
        """A new backup of the running embedded default, into ``destination`` (default: the backup directory)."""
        source = self._source()
        with transaction(self._services.new_session) as session:
            audit.record(session, clock=self._services.clock, actor="system", action="backup.started")
        made = create_backup(
            source, destination=destination or self.directory, clock=self._services.clock, progress=progress or _none
        )
        with transaction(self._services.new_session) as session:
            audit.record(
                session,
                clock=self._services.clock,
                actor="system",
                action="backup.created",
                details={"backup": made.header.backup_id, "bytes": made.size},
            )
        return made

    def expected_bytes(self) -> int:
        return total_bytes(self._source())

    def daily(self) -> tuple[BackupFile, list[Path]]:
        """The beat's backup: a new one, then all but the newest CASEVAULT_BACKUP_KEEP deleted."""
        made = self.create()
        return made, prune_backups(self.directory, keep=self._services.settings.backup_keep)

    def list(self, directory: Path | None = None) -> list[BackupFile]:
        return list_backups(directory or self.directory)

    def verify(self, path: Path, *, progress: Progress | None = None) -> BackupContents:
        """Decrypt every part and hold it to the manifest; raises ``IntegrityFailure``."""
        return read_backup(path, provider=self._restore_key_provider(), progress=progress or _none)

    # --- restoring ------------------------------------------------------------------

    def restore(self, source: Path, *, progress: Progress | None = None) -> RestoreReport:
        """Into an empty data directory: verify, write out, migrate, replay the destruction
        ledger, repair orphans, verify the audit log; only then may the service start."""
        settings = self._services.settings
        self._require_embedded("restore")
        target = self._target()
        restoring.check_empty(target)
        provider = self._restore_key_provider()
        mirror = self._services.ledger.mirror
        ledger_before = read_mirror(mirror) if mirror is not None else []  # unreadable: stop before writing anything
        checked = read_backup(source, provider=provider, progress=progress or _none)
        expected = int(checked.counts.get("ledger_entries", 0))
        if mirror is not None and len(ledger_before) < expected:
            raise LedgerUnreadable(
                f"the destruction ledger in {mirror} holds {len(ledger_before)} entries, but held {expected} when"
                " this backup was made: it is not the whole ledger. Copy the ledger back there (or point"
                " CASEVAULT_BACKUP_DIR at the directory that holds it), then run the restore again"
            )
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        restoring.marker(settings.data_dir).write_text(checked.header.backup_id + "\n")
        contents = restoring.extract(source, provider=provider, target=target, progress=progress or _none)
        upgrade(settings.database_url)
        after = [entry for entry in self._services.ledger.entries() if entry.destroyed_at > checked.header.created_at]
        replayed = self._replay(rewound=True)
        with transaction(self._services.new_session) as session:
            audit.record(
                session,
                clock=self._services.clock,
                actor="system",
                action="backup.restored",
                details={
                    "backup": checked.header.backup_id,
                    "replayed": len(replayed.replay.replayed),
                    "orphans_removed": replayed.storage.removed_orphans if replayed.storage else 0,
                },
            )
        chain = self._finish(replayed)
        assert replayed.storage is not None
        return RestoreReport(
            backup=contents,
            replay=replayed.replay,
            anchors_retired=replayed.anchors_retired,
            storage=replayed.storage,
            audit_rows=chain.rows,
            ledger_after_backup=len(after),
        )

    def replay_destructions(self) -> DatabaseReplayReport:
        """After any database restore (pg_dump, PITR, a copied SQLite file): destroy again
        everyone the ledger says was destroyed, remove orphans, and anchor the log anew."""
        report = self._replay(rewound=True)
        self._finish(report)
        return report

    def _finish(self, report: DatabaseReplayReport) -> audit.ChainReport:
        """Hold the replayed database to its audit log and anchor it; only then may it serve
        (a restore's marker goes)."""
        if report.replay.unfinished:
            raise IntegrityFailure(
                f"{len(report.replay.unfinished)} destructions could not be replayed now (their people are claimed"
                " by a sweep of before the backup, for up to an hour): nothing may serve this database; run"
                " `casevault backup replay-destructions` again in an hour"
            )
        chain = verify_audit_trail(store=self._services.store, new_session=self._services.new_session)
        if not chain.ok:
            raise IntegrityFailure(
                f"the restored audit log does not verify (row {chain.first_broken_id}: {chain.problem});"
                " nothing may serve this database: restore another backup"
            )
        store, new_session, clock = self._services.store, self._services.new_session, self._services.clock
        anchor_audit_chain(store=store, new_session=new_session, clock=clock)
        restoring.marker(self._services.settings.data_dir).unlink(missing_ok=True)
        return chain

    def _replay(self, *, rewound: bool) -> DatabaseReplayReport:
        lifecycle = self._services.lifecycle
        entries = self._services.ledger.entries()  # LedgerUnreadable stops here, before any change
        retired = retire_anchors_after_head(lifecycle) if rewound else []
        replay = replay_destructions(lifecycle, entries=entries)
        storage = verify_storage(
            vault=lifecycle.vault,
            new_session=self._services.new_session,
            clock=self._services.clock,
            repair=True,
            grace=dt.timedelta(0),  # nothing serves meanwhile: an object no row points to came after the backup
        )
        scratch.remove_stale(self._services.settings.data_dir / "tmp")
        return DatabaseReplayReport(replay=replay, anchors_retired=retired, storage=storage)

    # --- parts ------------------------------------------------------------------------

    def _source(self) -> BackupSource:
        self._require_embedded("create")
        settings = self._services.settings
        mirror = self._services.ledger.mirror
        return BackupSource(
            database_path=_sqlite_path(settings),
            store=self._services.store,
            provider=self._services.key_provider,
            scratch_base=settings.data_dir / "tmp",
            chunk_size=settings.chunk_size,
            settings=_settings_that_matter(settings),
            ledger_entries=len(read_mirror(mirror)) if mirror is not None else 0,
            version=version("casevault"),
        )

    def _target(self) -> restoring.RestoreTarget:
        settings = self._services.settings
        assert settings.key_file is not None
        return restoring.RestoreTarget(
            data_dir=settings.data_dir,
            database_path=_sqlite_path(settings),
            store_root=Path(urlparse(settings.storage_url).path),
            key_dir=settings.key_file.parent,
        )

    def _restore_key_provider(self) -> KeyProvider:
        try:
            return self._services.key_provider
        except ConfigurationError as error:
            raise ConfigurationError(
                f"{error.detail}. A backup opens only with the key-encryption key it was made under: put the key"
                " file back, or run `casevault keys import FILE` with the escrow file first"
            ) from None

    def _require_embedded(self, doing: str) -> None:
        settings = self._services.settings
        if not (_is_sqlite(settings) and settings.storage_url.startswith("file://")):
            raise ConfigurationError(
                f"`casevault backup {doing}` is for the embedded default (SQLite and the filesystem store); with"
                " PostgreSQL or S3, back up with pg_dump or PITR and S3 versioning or replication (README, Backups),"
                " and run `casevault backup replay-destructions` after restoring the database"
            )


def _none(_: int) -> None:
    pass


def _is_sqlite(settings: Settings) -> bool:
    return sa.make_url(settings.database_url).get_backend_name() == "sqlite"


def _sqlite_path(settings: Settings) -> Path:
    database = sa.make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise ConfigurationError("CASEVAULT_DATABASE_URL names no SQLite file to back up")
    return Path(database)


def _settings_that_matter(settings: Settings) -> dict[str, object]:
    """What reading the backup back depends on; no secrets, no addresses."""
    return {
        "key_provider": settings.key_provider,
        "chunk_size_kb": settings.chunk_size_kb,
        "require_destruction_approval": settings.require_destruction_approval,
        "custom_schedule": settings.schedule_file is not None,
        "backup_keep": settings.backup_keep,
    }
