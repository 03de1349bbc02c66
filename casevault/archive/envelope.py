"""The encrypted object format (version 1).

    header : magic "CVLT" | version u8 | key-id length u8 | key id | chunk size u32
    frames : nonce (12) | AES-256-GCM ciphertext of one chunk | tag (16)

Every chunk but the last holds exactly ``chunk size`` plaintext bytes; the last holds
0..chunk size (an empty object is one empty last chunk). Each nonce is random (96 bits;
one data key per person keeps the count per key far below the collision bound). The
associated data of every chunk binds the whole header, the object key, the chunk index
and a last-chunk flag: a changed header, a chunk moved to another object or position, a
dropped tail or an appended frame all fail authentication, and we say so loudly.

Both directions stream a chunk at a time, so memory stays at a few chunks whatever the
object's size.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.core.errors import IntegrityFailure

MAGIC = b"CVLT"
FORMAT_VERSION = 1
KEY_ID_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
FRAME_OVERHEAD = NONCE_BYTES + TAG_BYTES
MIN_CHUNK = 4 * 1024
MAX_CHUNK = 64 * 1024 * 1024
_FIXED = struct.Struct(">4sBB")
_CHUNK_SIZE = struct.Struct(">I")
HEADER_BYTES = _FIXED.size + KEY_ID_BYTES + _CHUNK_SIZE.size


def key_id(data_key: bytes) -> bytes:
    """A fingerprint of the data key: says which key without revealing it or the person."""
    return hmac.new(data_key, b"casevault/object-key-id/v1", hashlib.sha256).digest()[:KEY_ID_BYTES]


def stored_size(plaintext_size: int, chunk_size: int) -> int:
    chunks = max(1, -(-plaintext_size // chunk_size))
    return HEADER_BYTES + chunks * FRAME_OVERHEAD + plaintext_size


@dataclass(frozen=True)
class Encrypted:
    sha256: str  # of the plaintext
    size: int  # plaintext bytes
    stored_size: int  # bytes written


class ChunkSealer:
    """Encrypts one object's chunks: fresh nonce each, associated data bound to the
    header, object key, index and last flag."""

    def __init__(self, *, data_key: bytes, object_key: str, chunk_size: int) -> None:
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            raise ValueError(f"chunk size must be {MIN_CHUNK}..{MAX_CHUNK} bytes")
        self.header = _header(data_key, chunk_size)
        self._aead = AESGCM(data_key)
        self._object_key = object_key

    def seal(self, chunk: bytes, *, index: int, last: bool) -> tuple[bytes, bytes]:
        """Returns (nonce, ciphertext with tag)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, chunk, _associated_data(self.header, self._object_key, index, last))


def encrypt_stream(*, source: BinaryIO, sink: BinaryIO, data_key: bytes, object_key: str, chunk_size: int) -> Encrypted:
    sealer = ChunkSealer(data_key=data_key, object_key=object_key, chunk_size=chunk_size)
    sink.write(sealer.header)
    digest = hashlib.sha256()
    size = 0
    written = len(sealer.header)
    for index, (chunk, last) in enumerate(_chunks_with_last_flag(source, chunk_size)):
        digest.update(chunk)
        size += len(chunk)
        nonce, sealed = sealer.seal(chunk, index=index, last=last)
        sink.write(nonce)
        sink.write(sealed)
        written += NONCE_BYTES + len(sealed)
    return Encrypted(sha256=digest.hexdigest(), size=size, stored_size=written)


def decrypt_stream(*, source: BinaryIO, data_key: bytes, object_key: str) -> Iterator[bytes]:
    """Yield plaintext chunks, each authenticated before it is yielded.

    Raises ``IntegrityFailure`` at the first thing wrong; a caller that has consumed
    earlier chunks must discard them (``Vault.read_to`` does)."""
    header = _read_exactly(source, HEADER_BYTES)
    chunk_size = _check_header(header, data_key)
    aead = AESGCM(data_key)
    frame_size = chunk_size + FRAME_OVERHEAD
    index = 0
    for frame, last in _frames_with_last_flag(source, frame_size):
        if len(frame) < FRAME_OVERHEAD:
            raise IntegrityFailure(f"object {object_key}: chunk {index} is cut short (truncated object)")
        nonce, sealed = frame[:NONCE_BYTES], frame[NONCE_BYTES:]
        try:
            yield aead.decrypt(nonce, sealed, _associated_data(header, object_key, index, last))
        except InvalidTag:
            raise IntegrityFailure(
                f"object {object_key}: chunk {index} failed authentication "
                "(tampered, truncated, reordered or from another object)"
            ) from None
        index += 1
    if index == 0:
        raise IntegrityFailure(f"object {object_key}: no chunks after the header (truncated object)")


def _header(data_key: bytes, chunk_size: int) -> bytes:
    return _FIXED.pack(MAGIC, FORMAT_VERSION, KEY_ID_BYTES) + key_id(data_key) + _CHUNK_SIZE.pack(chunk_size)


def _check_header(header: bytes, data_key: bytes) -> int:
    if len(header) < HEADER_BYTES:
        raise IntegrityFailure("object is shorter than its header (truncated or not a casevault object)")
    magic, version, id_length = _FIXED.unpack_from(header)
    if magic != MAGIC:
        raise IntegrityFailure("object does not start with the casevault magic: not ours, or damaged")
    if version != FORMAT_VERSION:
        raise IntegrityFailure(
            f"object format version {version} is not one this casevault reads ({FORMAT_VERSION}); "
            "damaged, or written by a newer casevault"
        )
    if id_length != KEY_ID_BYTES:
        raise IntegrityFailure("object header has a malformed key id (damaged)")
    stored_id = header[_FIXED.size : _FIXED.size + KEY_ID_BYTES]
    if not hmac.compare_digest(stored_id, key_id(data_key)):
        raise IntegrityFailure("object was encrypted under a different data key (wrong person's key, or damaged)")
    chunk_size: int
    (chunk_size,) = _CHUNK_SIZE.unpack_from(header, _FIXED.size + KEY_ID_BYTES)
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise IntegrityFailure(f"object header names an impossible chunk size {chunk_size} (damaged)")
    return chunk_size


def _associated_data(header: bytes, object_key: str, index: int, last: bool) -> bytes:
    key = object_key.encode()
    return header + struct.pack(">H", len(key)) + key + struct.pack(">Q?", index, last)


def _chunks_with_last_flag(source: BinaryIO, chunk_size: int) -> Iterator[tuple[bytes, bool]]:
    """Plaintext pieces; an empty source is one empty last chunk."""
    first = _read_exactly(source, chunk_size)
    yield from _pieces_with_last_flag(source, chunk_size, first)


def _frames_with_last_flag(source: BinaryIO, frame_size: int) -> Iterator[tuple[bytes, bool]]:
    """Stored frames; nothing after the header yields nothing (the caller complains)."""
    first = _read_exactly(source, frame_size)
    if first:
        yield from _pieces_with_last_flag(source, frame_size, first)


def _pieces_with_last_flag(source: BinaryIO, size: int, current: bytes) -> Iterator[tuple[bytes, bool]]:
    # Read one piece ahead: the last flag must be known before the piece is sealed/opened.
    while True:
        if len(current) < size:
            yield current, True
            return
        following = _read_exactly(source, size)
        if not following:
            yield current, True
            return
        yield current, False
        current = following


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at the end (network streams return short reads)."""
    first = source.read(size)
    if not first or len(first) == size:
        return first or b""
    parts = [first]
    have = len(first)
    while have < size:
        more = source.read(size - have)
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)
