"""The vault: what the rest of casevault calls to keep and read documents.

It encrypts before anything reaches the store and decrypts after, with the person's
data key; the store never sees a readable byte, a name or a path.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from casevault.archive import envelope
from casevault.archive.data_keys import DataKeys
from casevault.archive.store import ObjectStore, RestoreState
from casevault.archive.tags import LifecycleTags
from casevault.core.clock import Clock
from casevault.core.errors import IntegrityFailure, InvalidInput
from casevault.core.models import Tier

DEFAULT_RESTORE_DAYS = 7


@dataclass(frozen=True)
class PutResult:
    object_key: str
    sha256: str  # of the plaintext
    size: int  # plaintext bytes
    stored_size: int  # ciphertext bytes in the store


@dataclass(frozen=True)
class DeleteReport:
    objects: int
    versions: int
    bytes: int


def new_object_key() -> str:
    """A random id: says nothing about the person, the case or the document."""
    return secrets.token_hex(16)


class Vault:
    def __init__(self, *, store: ObjectStore, data_keys: DataKeys, chunk_size: int, clock: Clock) -> None:
        self.store = store
        self.data_keys = data_keys
        self._chunk_size = chunk_size
        self._clock = clock

    def put(self, *, subject: str, source: Path, tier: Tier, tags: LifecycleTags) -> PutResult:
        _check_tier(tags, tier)
        data_key = self.data_keys.get_or_create(subject=subject)
        object_key = new_object_key()
        with source.open("rb") as plaintext, self.store.writer(tier=tier, key=object_key, tags=tags.as_dict()) as sink:
            written = envelope.encrypt_stream(
                source=plaintext, sink=sink, data_key=data_key, object_key=object_key, chunk_size=self._chunk_size
            )
        return PutResult(
            object_key=object_key, sha256=written.sha256, size=written.size, stored_size=written.stored_size
        )

    def open(self, *, subject: str, object_key: str, tier: Tier) -> AbstractContextManager[Iterator[bytes]]:
        """Plaintext chunks, each authenticated before it is yielded. A failure midway
        raises ``IntegrityFailure``: discard what was already consumed."""
        return self._open(subject=subject, object_key=object_key, tier=tier)

    @contextmanager
    def _open(self, *, subject: str, object_key: str, tier: Tier) -> Iterator[Iterator[bytes]]:
        data_key = self.data_keys.get(subject=subject)
        with self.store.reader(tier=tier, key=object_key) as stored:
            yield envelope.decrypt_stream(source=stored, data_key=data_key, object_key=object_key)

    def read_to(self, *, subject: str, object_key: str, tier: Tier, dest: Path) -> str:
        """Decrypt into ``dest`` (owner-only); returns the plaintext's sha256. On any
        failure ``dest`` is removed, never left half-written."""
        digest = hashlib.sha256()
        try:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, self.open(subject=subject, object_key=object_key, tier=tier) as chunks:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return digest.hexdigest()

    def verify(self, *, subject: str, object_key: str, tier: Tier, sha256: str) -> None:
        digest = hashlib.sha256()
        with self.open(subject=subject, object_key=object_key, tier=tier) as chunks:
            for chunk in chunks:
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise IntegrityFailure(f"object {object_key} decrypts but does not match its recorded sha256")

    def copy_to_tier(self, *, object_key: str, source: Tier, target: Tier, tags: LifecycleTags) -> None:
        if source is target:
            raise InvalidInput("copy_to_tier needs two different tiers", field="target")
        _check_tier(tags, target)
        self.store.copy(key=object_key, source=source, target=target, tags=tags.as_dict())

    def set_tags(self, *, object_key: str, tier: Tier, tags: LifecycleTags) -> None:
        _check_tier(tags, tier)
        self.store.set_tags(tier=tier, key=object_key, tags=tags.as_dict())

    def get_tags(self, *, object_key: str, tier: Tier) -> LifecycleTags:
        return LifecycleTags.from_dict(self.store.get_tags(tier=tier, key=object_key))

    def exists(self, *, object_key: str, tier: Tier) -> bool:
        return self.store.head(tier=tier, key=object_key) is not None

    def delete_everywhere(
        self, object_keys: Sequence[str], tiers: Sequence[Tier] = (Tier.active, Tier.archive)
    ) -> DeleteReport:
        objects = versions = size = 0
        for tier in tiers:
            removed = self.store.delete_all_versions(tier=tier, keys=list(object_keys))
            objects += removed.objects
            versions += removed.versions
            size += removed.bytes
        return DeleteReport(objects=objects, versions=versions, bytes=size)

    def destroy_key(self, *, subject: str) -> bool:
        return self.data_keys.destroy(subject=subject)

    def has_key(self, *, subject: str) -> bool:
        return self.data_keys.exists(subject=subject)

    # --- cold storage: a restore is asynchronous, ask then poll ----------------------

    def request_restore(
        self, *, object_key: str, tier: Tier = Tier.archive, days: int = DEFAULT_RESTORE_DAYS
    ) -> RestoreState:
        return self.store.request_restore(tier=tier, key=object_key, days=days)

    def restore_ready(self, *, object_key: str, tier: Tier = Tier.archive) -> bool:
        state = self.store.restore_state(tier=tier, key=object_key)
        return state in (RestoreState.not_needed, RestoreState.ready)


def _check_tier(tags: LifecycleTags, tier: Tier) -> None:
    if Tier(tags.tier) is not Tier(tier):
        raise InvalidInput(f"tags say tier {tags.tier.value} but the object goes to {tier.value}", field="tags")
