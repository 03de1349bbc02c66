"""The object store protocol: what casevault needs from a place that keeps bytes.

Two implementations (``filesystem.FilesystemStore``, ``s3.S3Store``), picked by
``factory.open_store`` from ``CASEVAULT_STORAGE_URL``. Stores see ciphertext only;
encryption happens in the vault before a byte reaches them.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from casevault.core.errors import InvalidInput
from casevault.core.models import Tier

# Random ids only: this also keeps keys safe as file names (no "/" or "..").
_OBJECT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")


def check_object_key(key: str) -> str:
    if not _OBJECT_KEY.fullmatch(key):
        raise InvalidInput(
            "object keys are random ids of 8-64 letters, digits, '-' or '_'; got an invalid key",
            field="object_key",
        )
    return key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: dt.datetime
    storage_class: str | None = None


@dataclass(frozen=True)
class ObjectVersion:
    """One stored version (S3) or the single copy (filesystem, ``version_id`` None)."""

    key: str
    version_id: str | None
    is_latest: bool
    is_delete_marker: bool
    size: int
    last_modified: dt.datetime


@dataclass(frozen=True)
class Removed:
    """What a delete took away in one tier."""

    objects: int
    versions: int
    bytes: int


class RestoreState(str, enum.Enum):
    not_needed = "not_needed"  # readable now (filesystem, instant-access classes)
    not_requested = "not_requested"  # in a cold class; ask for a restore first
    in_progress = "in_progress"
    ready = "ready"  # a temporary restored copy is readable


class ObjectStore(Protocol):
    """Ciphertext in, ciphertext out, in two tiers. Every method may raise
    ``TransientError`` (try again), ``StorageError`` (operator must act) or
    ``NotFound``."""

    def ping(self) -> None:
        """Return if both tiers answer now; raise otherwise, quickly (one attempt, short
        timeouts): for readiness probes."""
        ...

    def writer(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> AbstractContextManager[BinaryIO]:
        """A sink for a new object; it becomes visible, with its tags, only when the
        block exits without error. Nothing partial is ever visible."""
        ...

    def reader(self, *, tier: Tier, key: str) -> AbstractContextManager[BinaryIO]:
        """The current version, streamed (``read(n)``)."""
        ...

    def head(self, *, tier: Tier, key: str) -> ObjectInfo | None: ...

    def copy(self, *, key: str, source: Tier, target: Tier, tags: Mapping[str, str]) -> None:
        """Server-side where the backend can; replaces the target's tags."""
        ...

    def get_tags(self, *, tier: Tier, key: str) -> dict[str, str]: ...

    def set_tags(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> None: ...

    def list_versions(self, *, tier: Tier, prefix: str = "") -> Iterator[ObjectVersion]:
        """Every version of every object whose key starts with ``prefix``."""
        ...

    def versions_of(self, *, tier: Tier, keys: Sequence[str]) -> list[ObjectVersion]:
        """Every version and delete marker of each key (what ``delete_all_versions`` would remove)."""
        ...

    def delete_all_versions(self, *, tier: Tier, keys: Sequence[str]) -> Removed:
        """Every version and delete marker of each key; missing keys are fine."""
        ...

    def abort_abandoned_uploads(self, *, tier: Tier, older_than: dt.datetime) -> int:
        """Remove unfinished writes started before ``older_than``; returns how many."""
        ...

    def request_restore(self, *, tier: Tier, key: str, days: int) -> RestoreState: ...

    def restore_state(self, *, tier: Tier, key: str) -> RestoreState: ...
