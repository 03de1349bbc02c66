"""Making, reading and keeping backups of the embedded default (SQLite and the filesystem store).

A backup is one file (``container``): a tar stream, sealed as it is written, of

    database.sqlite3          SQLite's online backup of the live database (a consistent
                              snapshot; writers carry on meanwhile, WAL readers never block them)
    tags/<tier>/<key>         each object's tags, before the object
    objects/<tier>/<key>      each object of the store, as stored (already ciphertext)
    settings.json             the settings that matter to read it back (no secrets, no paths)
    manifest.json             time, versions, counts, and the sha256 of every part, last

Memory stays at a few chunks whatever the size. The database snapshot is personal
data in plaintext: it is made in a private scratch directory and removed on every exit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from casevault.archive.atomic import fsync_directory
from casevault.archive.key_providers import KeyProvider
from casevault.archive.store import ObjectStore
from casevault.backup.container import BackupHeader, SealingWriter, open_backup, read_header
from casevault.core import scratch
from casevault.core.clock import Clock
from casevault.core.errors import IntegrityFailure, InvalidInput, NotFound
from casevault.core.models import Tier

FORMAT = 1
DATABASE_PART = "database.sqlite3"
SETTINGS_PART = "settings.json"
MANIFEST_PART = "manifest.json"
SUFFIX = ".cvbk"
NAME = re.compile(r"^casevault-backup-(\d{8}T\d{6}Z)-([0-9a-f]{16})\.cvbk$")
_BLOCK = 1024 * 1024
COUNTED_TABLES = ("person", "case_file", "document", "stored_object", "destruction_certificate", "audit_event")

Progress = Callable[[int], None]  # bytes just added


def _no_progress(_: int) -> None:
    pass


@dataclass(frozen=True)
class BackupSource:
    """What a backup is made of and with."""

    database_path: Path
    store: ObjectStore
    provider: KeyProvider
    scratch_base: Path
    chunk_size: int
    settings: dict[str, object]
    ledger_entries: int
    version: str


@dataclass(frozen=True)
class BackupFile:
    path: Path
    header: BackupHeader
    size: int


@dataclass
class BackupContents:
    """What reading a backup found: its manifest, with every part checked against it."""

    header: BackupHeader
    manifest: dict[str, object]
    parts: int = 0
    bytes: int = 0
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counts = self.manifest.get("counts", {})
        return {str(name): int(value) for name, value in counts.items()} if isinstance(counts, dict) else {}


def backup_name(created_at: dt.datetime, backup_id: str) -> str:
    return f"casevault-backup-{created_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{backup_id}{SUFFIX}"


def total_bytes(source: BackupSource) -> int:
    """About what a backup will read: for a progress bar."""
    objects = sum(v.size for tier in Tier for v in source.store.list_versions(tier=tier) if not v.is_delete_marker)
    return source.database_path.stat().st_size + objects


def create_backup(
    source: BackupSource, *, destination: Path, clock: Clock, progress: Progress = _no_progress
) -> BackupFile:
    """Write a new backup into ``destination``; it appears under its final name only whole."""
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    backup_id, created_at = secrets.token_hex(8), clock.now()
    key = source.provider.new_data_key(subject=f"backup-{backup_id}")
    header = BackupHeader(backup_id=backup_id, created_at=created_at, kek_id=key.kek_id, wrapped_key=key.wrapped)
    final = destination / backup_name(created_at, backup_id)
    partial = destination / f".{final.name}.partial"
    with scratch.private_dir(source.scratch_base, "backup") as work:
        snapshot = work / DATABASE_PART
        _snapshot_database(source.database_path, snapshot)
        facts = _database_facts(snapshot)
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as sink:
                sink.write(header.encode())
                sealed = SealingWriter(sink, data_key=key.plaintext, backup_id=backup_id, chunk_size=source.chunk_size)
                _write_parts(sealed, source, header=header, snapshot=snapshot, facts=facts, progress=progress)
                sealed.finish()
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(partial, final)
            fsync_directory(destination)
        finally:
            partial.unlink(missing_ok=True)
    return BackupFile(path=final, header=header, size=final.stat().st_size)


def _snapshot_database(live: Path, snapshot: Path) -> None:
    """SQLite's online backup in one step: a read transaction on the live database
    (WAL: writers carry on), copied page by page into the scratch file."""
    with closing(sqlite3.connect(live)) as origin, closing(sqlite3.connect(snapshot)) as copy:
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


@dataclass(frozen=True)
class _Facts:
    referenced: dict[str, Tier]  # object key -> the tier its row names
    counts: dict[str, int]
    revision: str
    audit_last_row: int


def _database_facts(snapshot: Path) -> _Facts:
    with closing(sqlite3.connect(snapshot)) as db:
        referenced = {key: Tier(tier) for key, tier in db.execute("SELECT object_key, tier FROM stored_object")}
        # Our own table names, never input.
        counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        head = db.execute("SELECT last_id FROM audit_head WHERE id = 1").fetchone()
    return _Facts(referenced=referenced, counts=counts, revision=revision, audit_last_row=head[0] if head else 0)


def _write_parts(
    sealed: SealingWriter, source: BackupSource, *, header: BackupHeader, snapshot: Path, facts: _Facts,
    progress: Progress,
) -> None:  # fmt: skip
    hashes: dict[str, str] = {}
    objects = {tier: 0 for tier in Tier}
    stored_bytes = 0
    with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        with snapshot.open("rb") as database:
            hashes[DATABASE_PART] = _add(tar, DATABASE_PART, database, snapshot.stat().st_size, progress)
        for tier, key, size in _objects_to_copy(source.store, facts.referenced):
            try:
                tags = json.dumps(source.store.get_tags(tier=tier, key=key), sort_keys=True).encode()
                with source.store.reader(tier=tier, key=key) as stored:
                    target = _tier_in_backup(tier, key, facts.referenced, source.store)
                    hashes[f"tags/{target.value}/{key}"] = _add_bytes(tar, f"tags/{target.value}/{key}", tags)
                    name = f"objects/{target.value}/{key}"
                    hashes[name] = _add(tar, name, stored, size, progress)
            except NotFound:  # deleted since the listing (a destruction or a move)
                continue
            objects[target] += 1
            stored_bytes += size
        settings = json.dumps(source.settings, sort_keys=True).encode()
        hashes[SETTINGS_PART] = _add_bytes(tar, SETTINGS_PART, settings)
        manifest: dict[str, object] = {
            "format": FORMAT,
            "backup_id": header.backup_id,
            "created_at": header.created_at.isoformat(),
            "casevault_version": source.version,
            "database": {"dialect": "sqlite", "sqlite_version": sqlite3.sqlite_version, "revision": facts.revision},
            "counts": {
                **facts.counts,
                "objects_active": objects[Tier.active],
                "objects_archive": objects[Tier.archive],
                "object_bytes": stored_bytes,
                "ledger_entries": source.ledger_entries,
            },
            "audit_last_row": facts.audit_last_row,
            "parts": hashes,
        }
        _add_bytes(tar, MANIFEST_PART, json.dumps(manifest, sort_keys=True).encode())


def _objects_to_copy(store: ObjectStore, referenced: dict[str, Tier]) -> Iterator[tuple[Tier, str, int]]:
    for tier in Tier:
        for version in store.list_versions(tier=tier):
            if version.is_latest and not version.is_delete_marker:
                yield tier, version.key, version.size


def _tier_in_backup(tier: Tier, key: str, referenced: dict[str, Tier], store: ObjectStore) -> Tier:
    """Where the snapshot's row says the object is, when it moved tiers after the snapshot
    (an archive move copies, commits, then deletes): the restored row finds it there."""
    named = referenced.get(key)
    if named is None or named is tier or store.head(tier=named, key=key) is not None:
        return tier
    return named


def _add(tar: tarfile.TarFile, name: str, stream: BinaryIO, size: int, progress: Progress) -> str:
    hashing = _Hashing(stream, progress)
    tar.addfile(_member(name, size), hashing)
    return hashing.digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> str:
    tar.addfile(_member(name, len(data)), io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


def _member(name: str, size: int) -> tarfile.TarInfo:
    # No owner, mode or time of ours: nothing in a member says more than its name and size.
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    return info


class _Hashing:
    def __init__(self, stream: IO[bytes], progress: Progress) -> None:
        self._stream = stream
        self._progress = progress
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.digest.update(data)
        self._progress(len(data))
        return data


# --- reading ----------------------------------------------------------------------------

PartHandler = Callable[[str, IO[bytes]], None]


def read_backup(
    path: Path, *, provider: KeyProvider, on_part: PartHandler | None = None, progress: Progress = _no_progress
) -> BackupContents:
    """Decrypt and read every part, hashing each, and hold them to the manifest.
    ``on_part(name, stream)`` may consume each part as it passes (a restore writes it out).
    Raises ``IntegrityFailure`` naming what is wrong."""
    with path.open("rb") as source:
        header, plain = open_backup(source, provider=provider)
        contents = BackupContents(header=header, manifest={})
        try:
            with tarfile.open(fileobj=plain, mode="r|") as tar:
                for member in tar:
                    _read_member(tar, member, contents, on_part, progress)
            while plain.read(_BLOCK):  # the sealed stream's end is checked only when read to the end
                pass
        except tarfile.TarError as error:
            raise IntegrityFailure(f"backup {path.name} is damaged: its contents do not read ({error})") from None
    _hold_to_manifest(path, contents)
    return contents


def _read_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, contents: BackupContents, on_part: PartHandler | None,
    progress: Progress,
) -> None:  # fmt: skip
    stream = tar.extractfile(member)
    if stream is None:
        raise IntegrityFailure(f"backup part {member.name} is not a file (damaged)")
    if member.name == MANIFEST_PART:
        contents.manifest = json.loads(stream.read())
        return
    hashing = _Hashing(stream, progress)
    if on_part is not None:
        on_part(member.name, hashing)  # type: ignore[arg-type]  # reads like a file
    while hashing.read(_BLOCK):
        pass
    contents.hashes[member.name] = hashing.digest.hexdigest()
    contents.parts += 1
    contents.bytes += member.size


def _hold_to_manifest(path: Path, contents: BackupContents) -> None:
    if not contents.manifest:
        raise IntegrityFailure(f"backup {path.name} has no manifest: it was cut short")
    expected = dict(contents.manifest.get("parts", {}))  # type: ignore[call-overload]  # written by us
    if contents.manifest.get("backup_id") != contents.header.backup_id:
        raise IntegrityFailure(f"backup {path.name}: the manifest belongs to another backup")
    missing = sorted(set(expected) - set(contents.hashes))
    extra = sorted(set(contents.hashes) - set(expected))
    wrong = sorted(name for name in expected if name in contents.hashes and contents.hashes[name] != expected[name])
    if missing or extra or wrong:
        raise IntegrityFailure(
            f"backup {path.name} does not match its manifest: {len(missing)} parts missing,"
            f" {len(extra)} not listed, {len(wrong)} with another sha256"
            + (f" (first: {(missing + extra + wrong)[0]})" if missing or extra or wrong else "")
        )


# --- keeping ----------------------------------------------------------------------------


def list_backups(directory: Path) -> list[BackupFile]:
    """The whole backups in ``directory``, oldest first (their plain headers only)."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if not NAME.fullmatch(path.name):
            continue
        with path.open("rb") as source:
            try:
                header = read_header(source)
            except IntegrityFailure:
                continue
        found.append(BackupFile(path=path, header=header, size=path.stat().st_size))
    return sorted(found, key=lambda backup: (backup.header.created_at, backup.path.name))


def prune_backups(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what went."""
    if keep < 1:
        raise InvalidInput("keep at least one backup")
    old = list_backups(directory)[:-keep]
    for backup in old:
        backup.path.unlink(missing_ok=True)
    return [backup.path for backup in old]
