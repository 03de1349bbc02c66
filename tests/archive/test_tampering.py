"""Contract: any change to stored bytes fails loudly, never yields wrong plaintext."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from casevault.archive import Vault
from casevault.archive.envelope import FRAME_OVERHEAD, HEADER_BYTES
from casevault.core.errors import IntegrityFailure
from casevault.core.models import Tier, new_pseudonym
from tests.archive.conftest import SMALL_CHUNK_KB, lifecycle_tags, write_file

CHUNK = SMALL_CHUNK_KB * 1024
FRAME = CHUNK + FRAME_OVERHEAD
MAGIC_AT, VERSION_AT, KEY_ID_AT, CHUNK_SIZE_AT = 0, 4, 6, 22


def _flip(at: int) -> Callable[[bytes, bytes], bytes]:
    return lambda stored, _other: stored[:at] + bytes([stored[at] ^ 0x01]) + stored[at + 1 :]


def _frame(n: int) -> slice:
    return slice(HEADER_BYTES + n * FRAME, HEADER_BYTES + (n + 1) * FRAME)


def _swap_first_two_chunks(stored: bytes, _other: bytes) -> bytes:
    return stored[:HEADER_BYTES] + stored[_frame(1)] + stored[_frame(0)] + stored[_frame(2).start :]


def _chunk_from_other_object(stored: bytes, other: bytes) -> bytes:
    # Same person, same key, same position: only the object key binding can tell.
    return stored[: _frame(1).start] + other[_frame(1)] + stored[_frame(1).stop :]


def _other_chunk_size(stored: bytes, _other: bytes) -> bytes:
    return stored[:CHUNK_SIZE_AT] + (2 * CHUNK).to_bytes(4, "big") + stored[CHUNK_SIZE_AT + 4 :]


TAMPERINGS: dict[str, Callable[[bytes, bytes], bytes]] = {
    "header magic": _flip(MAGIC_AT),
    "format version": _flip(VERSION_AT),
    "key id": _flip(KEY_ID_AT + 3),
    "chunk size": _other_chunk_size,
    "chunk nonce": _flip(_frame(1).start + 2),
    "chunk ciphertext": _flip(_frame(1).start + 12 + 100),
    "chunk tag": _flip(_frame(1).stop - 3),
    "last chunk ciphertext": lambda s, o: _flip(len(s) - 20)(s, o),
    "truncated at a chunk boundary": lambda stored, _: stored[: _frame(2).start],
    "truncated inside a chunk": lambda stored, _: stored[: _frame(1).start + 500],
    "truncated to the header": lambda stored, _: stored[:HEADER_BYTES],
    "truncated inside the header": lambda stored, _: stored[:10],
    "chunks reordered": _swap_first_two_chunks,
    "a chunk appended": lambda stored, _: stored + stored[_frame(0)],
    "chunk moved from another object": _chunk_from_other_object,
}


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=list(TAMPERINGS))
def test_tampering_fails_loudly(vault: Vault, tmp_path: Path, tampering: str) -> None:
    subject = new_pseudonym()
    plaintext = os.urandom(3 * CHUNK + 100)  # four chunks, the last one short
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "a", plaintext), tier=Tier.active, tags=lifecycle_tags()
    )
    other = vault.put(
        subject=subject, source=write_file(tmp_path / "b", plaintext), tier=Tier.active, tags=lifecycle_tags()
    )
    stored, other_stored = _raw(vault, put.object_key), _raw(vault, other.object_key)

    _overwrite(vault, put.object_key, TAMPERINGS[tampering](stored, other_stored))

    with pytest.raises(IntegrityFailure):
        vault.verify(subject=subject, object_key=put.object_key, tier=Tier.active, sha256=put.sha256)
    with pytest.raises(IntegrityFailure):
        vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=tmp_path / "out")
    assert not (tmp_path / "out").exists()  # no half-decrypted file left behind


def test_an_untouched_rewrite_still_reads(vault: Vault, tmp_path: Path) -> None:
    """The tampering tests' own control: rewriting the same bytes changes nothing."""
    subject = new_pseudonym()
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "a", b"q" * (3 * CHUNK)), tier=Tier.active, tags=lifecycle_tags()
    )
    _overwrite(vault, put.object_key, _raw(vault, put.object_key))
    vault.verify(subject=subject, object_key=put.object_key, tier=Tier.active, sha256=put.sha256)


def test_another_persons_key_does_not_open_an_object(vault: Vault, tmp_path: Path) -> None:
    owner, stranger = new_pseudonym(), new_pseudonym()
    put = vault.put(
        subject=owner, source=write_file(tmp_path / "a", b"private" * 999), tier=Tier.active, tags=lifecycle_tags()
    )
    vault.put(subject=stranger, source=write_file(tmp_path / "b", b"other"), tier=Tier.active, tags=lifecycle_tags())

    with pytest.raises(IntegrityFailure, match="different data key"):
        vault.read_to(subject=stranger, object_key=put.object_key, tier=Tier.active, dest=tmp_path / "out")


def _raw(vault: Vault, key: str) -> bytes:
    with vault.store.reader(tier=Tier.active, key=key) as stored:
        return stored.read()


def _overwrite(vault: Vault, key: str, data: bytes) -> None:
    tags = vault.store.get_tags(tier=Tier.active, key=key)
    with vault.store.writer(tier=Tier.active, key=key, tags=tags) as sink:
        sink.write(data)
