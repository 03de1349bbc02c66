"""Restoring a backup of the embedded default into an empty data directory.

Only into an empty one (the key directory aside, where ``keys import`` puts the
escrowed keys): a restore never mixes two histories. While a restore is under way,
and until the destruction ledger has been replayed and the store and audit log
verify, a marker file in the data directory stops every casevault process from
starting, so a backup with unreplayed destructions is never served.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from casevault.archive.filesystem import FilesystemStore
from casevault.archive.key_providers import KeyProvider
from casevault.backup.snapshot import DATABASE_PART, BackupContents, Progress, read_backup
from casevault.core.errors import Conflict, IntegrityFailure
from casevault.core.models import Tier

MARKER = "RESTORE-PENDING"
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class RestoreTarget:
    data_dir: Path
    database_path: Path
    store_root: Path
    key_dir: Path  # the one thing the data directory may already hold


def marker(data_dir: Path) -> Path:
    return data_dir / MARKER


def restore_pending(data_dir: Path) -> str | None:
    """The id of the backup whose restore has not finished here, or None."""
    try:
        return marker(data_dir).read_text().strip() or "unknown"
    except FileNotFoundError:
        return None


def check_empty(target: RestoreTarget) -> None:
    """Refuse a target that holds anything but the keys: a restore replaces nothing."""
    found = [path for path in _entries(target.data_dir) if path != target.key_dir]
    found += [path for path in (target.database_path,) if path.exists()]
    found += [path for path in _entries(target.store_root) if path.is_file() or any(path.rglob("*"))]
    if found:
        raise Conflict(
            f"the data directory {target.data_dir} is not empty ({len(set(found))} entries besides the keys);"
            " a backup is restored only into an empty one: move it aside, or set CASEVAULT_DATA_DIR to a new directory"
        )


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.is_dir() else []


def extract(path: Path, *, provider: KeyProvider, target: RestoreTarget, progress: Progress) -> BackupContents:
    """Write the database and every object out of a backup (already verified once)."""
    target.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = FilesystemStore(target.store_root)
    store.create_layout()
    tags: dict[tuple[Tier, str], dict[str, str]] = {}

    def on_part(name: str, stream: IO[bytes]) -> None:
        kind, _, rest = name.partition("/")
        if name == DATABASE_PART:
            _write_database(stream, target.database_path)
        elif kind == "tags":
            tier, key = _tier_and_key(rest)
            tags[(tier, key)] = dict(json.loads(stream.read()))
        elif kind == "objects":
            tier, key = _tier_and_key(rest)
            with store.writer(tier=tier, key=key, tags=tags.pop((tier, key), {})) as sink:
                shutil.copyfileobj(stream, sink, _BLOCK)

    return read_backup(path, provider=provider, on_part=on_part, progress=progress)


def _tier_and_key(rest: str) -> tuple[Tier, str]:
    tier, _, key = rest.partition("/")
    try:
        return Tier(tier), key
    except ValueError:
        raise IntegrityFailure(f"backup part for tier {tier!r}, which casevault does not have (damaged)") from None


def _write_database(stream: IO[bytes], database_path: Path) -> None:
    database_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = database_path.with_name(f".{database_path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            shutil.copyfileobj(stream, sink, _BLOCK)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, database_path)
    finally:
        partial.unlink(missing_ok=True)
