"""The embedded default store: one directory per tier, on local disk.

    <root>/<tier>/<key[:2]>/<key>        the object (ciphertext)
    <root>/<tier>/<key[:2]>/<key>.tags   its tags (JSON)
    <root>/<tier>/.partial/              writes in progress

A write goes to ``.partial``, is fsynced and renamed into place, and the directory is
fsynced: a crash at any moment leaves either no object or the whole object. Tags are
written before the object appears, so no visible object lacks them. There are no
versions here: a delete is final (the disk's own backups are the operator's business).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from casevault.archive.atomic import fsync_directory, write_text_atomically
from casevault.archive.store import ObjectInfo, ObjectVersion, Removed, RestoreState, check_object_key
from casevault.archive.tags import check_tags
from casevault.core.errors import NotFound, StorageError, TransientError
from casevault.core.models import Tier

PARTIAL = ".partial"
TAGS_SUFFIX = ".tags"
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
_COPY_BLOCK = 1024 * 1024


class FilesystemStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # --- set-up (storage init) --------------------------------------------------------

    def create_layout(self) -> list[str]:
        """Create missing directories, owner-only; returns what was created."""
        created = []
        for directory in [self.root, *(self._tier_dir(t) for t in Tier), *(self._partial_dir(t) for t in Tier)]:
            if not directory.is_dir():
                directory.mkdir(parents=True, mode=DIRECTORY_MODE)
                created.append(f"created directory {directory}")
            if directory.stat().st_mode & 0o077:
                directory.chmod(DIRECTORY_MODE)
                created.append(f"made {directory} owner-only (0700)")
        return created

    # --- the protocol -----------------------------------------------------------------

    def ping(self) -> None:
        """Each tier takes a write now: a file is created and removed where writes start."""
        for tier in Tier:
            probe = self._partial_dir(tier) / f"ping.{secrets.token_hex(6)}"
            with _os_errors(f"writing to the {tier.value} tier"):
                os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
                probe.unlink()

    @contextmanager
    def writer(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> Iterator[BinaryIO]:
        check_object_key(key)
        check_tags(tags)
        final = self._object_path(tier, key)
        partial = self._partial_dir(tier) / f"{key}.{secrets.token_hex(6)}"
        with _os_errors(f"writing object {key} to the {tier.value} tier"):
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            with _os_errors(f"writing object {key} to the {tier.value} tier"):
                final.parent.mkdir(exist_ok=True, mode=DIRECTORY_MODE)
                self._write_tags(final, tags)
                os.replace(partial, final)
                fsync_directory(final.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            if not final.exists():
                _tags_path(final).unlink(missing_ok=True)
            raise

    @contextmanager
    def reader(self, *, tier: Tier, key: str) -> Iterator[BinaryIO]:
        path = self._object_path(tier, key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"object {key} is not in the {tier.value} tier") from None
        except OSError as error:
            raise StorageError(f"reading object {key}: {error.strerror}") from error
        with handle:
            yield handle

    def head(self, *, tier: Tier, key: str) -> ObjectInfo | None:
        try:
            info = self._object_path(tier, key).stat()
        except FileNotFoundError:
            return None
        return ObjectInfo(key=key, size=info.st_size, last_modified=_utc(info.st_mtime))

    def copy(self, *, key: str, source: Tier, target: Tier, tags: Mapping[str, str]) -> None:
        with self.reader(tier=source, key=key) as origin, self.writer(tier=target, key=key, tags=tags) as sink:
            while block := origin.read(_COPY_BLOCK):
                sink.write(block)

    def get_tags(self, *, tier: Tier, key: str) -> dict[str, str]:
        path = self._object_path(tier, key)
        if not path.exists():
            raise NotFound(f"object {key} is not in the {tier.value} tier")
        try:
            return dict(json.loads(_tags_path(path).read_text()))
        except FileNotFoundError:
            return {}

    def set_tags(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> None:
        check_tags(tags)
        path = self._object_path(tier, key)
        if not path.exists():
            raise NotFound(f"object {key} is not in the {tier.value} tier")
        with _os_errors(f"tagging object {key}"):
            self._write_tags(path, tags)

    def list_versions(self, *, tier: Tier, prefix: str = "") -> Iterator[ObjectVersion]:
        tier_dir = self._tier_dir(tier)
        if not tier_dir.is_dir():
            raise StorageError(f"the {tier.value} tier directory {tier_dir} is missing; run `casevault storage init`")
        for shard in sorted(tier_dir.iterdir()):
            if shard.name == PARTIAL or not shard.is_dir() or not shard.name.startswith(prefix[:2]):
                continue
            for path in sorted(shard.iterdir()):
                if path.name.endswith(TAGS_SUFFIX) or path.name.startswith(".") or not path.name.startswith(prefix):
                    continue
                info = path.stat()
                yield ObjectVersion(
                    key=path.name,
                    version_id=None,
                    is_latest=True,
                    is_delete_marker=False,
                    size=info.st_size,
                    last_modified=_utc(info.st_mtime),
                )

    def versions_of(self, *, tier: Tier, keys: Sequence[str]) -> list[ObjectVersion]:
        found = []
        for key in dict.fromkeys(keys):
            info = self.head(tier=tier, key=key)
            if info is not None:
                found.append(
                    ObjectVersion(
                        key=key,
                        version_id=None,
                        is_latest=True,
                        is_delete_marker=False,
                        size=info.size,
                        last_modified=info.last_modified,
                    )
                )
        return found

    def delete_all_versions(self, *, tier: Tier, keys: Sequence[str]) -> Removed:
        objects = size = 0
        for key in keys:
            path = self._object_path(tier, key)
            with _os_errors(f"deleting object {key}"):
                try:
                    size += path.stat().st_size
                    path.unlink()
                    objects += 1
                except FileNotFoundError:
                    pass
                _tags_path(path).unlink(missing_ok=True)
                if path.parent.exists():
                    fsync_directory(path.parent)
        return Removed(objects=objects, versions=objects, bytes=size)

    def abort_abandoned_uploads(self, *, tier: Tier, older_than: dt.datetime) -> int:
        removed = 0
        partial_dir = self._partial_dir(tier)
        if not partial_dir.is_dir():
            return 0
        for path in partial_dir.iterdir():
            if _utc(path.stat().st_mtime) < older_than:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def request_restore(self, *, tier: Tier, key: str, days: int) -> RestoreState:
        return self.restore_state(tier=tier, key=key)

    def restore_state(self, *, tier: Tier, key: str) -> RestoreState:
        if self.head(tier=tier, key=key) is None:
            raise NotFound(f"object {key} is not in the {tier.value} tier")
        return RestoreState.not_needed

    # --- paths ------------------------------------------------------------------------

    def _tier_dir(self, tier: Tier) -> Path:
        return self.root / Tier(tier).value

    def _partial_dir(self, tier: Tier) -> Path:
        return self._tier_dir(tier) / PARTIAL

    def _object_path(self, tier: Tier, key: str) -> Path:
        check_object_key(key)
        return self._tier_dir(tier) / key[:2] / key

    def _write_tags(self, object_path: Path, tags: Mapping[str, str]) -> None:
        write_text_atomically(_tags_path(object_path), json.dumps(dict(tags), sort_keys=True), mode=FILE_MODE)


def _tags_path(object_path: Path) -> Path:
    return object_path.with_name(object_path.name + TAGS_SUFFIX)


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


@contextmanager
def _os_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError as error:
        raise StorageError(f"{doing}: {error.filename} is missing; run `casevault storage init`") from error
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise TransientError(f"{doing}: the disk is full; free space and try again") from error
        raise StorageError(f"{doing}: {error.strerror} ({error.filename})") from error
