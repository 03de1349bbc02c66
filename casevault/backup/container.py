"""The backup file: one sealed stream, written and read a chunk at a time.

    magic "CVBACKUP" | version u8 | header length u32 | header (JSON)
    then the object format of ``archive.envelope`` (header and AES-256-GCM frames)
    holding a tar stream: the database snapshot, the store's objects, the settings
    that matter and, last, the manifest.

The plain header holds only what is needed to open the rest: the backup's random id,
when it was made, and the backup key wrapped by the key-encryption key (bound to the
id). Everything else, names of parts included, is inside the sealed stream, whose
associated data binds the backup id: a stolen backup without the key-encryption key
reveals nothing but its size and time.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from casevault.archive.envelope import ChunkSealer, decrypt_stream
from casevault.archive.key_providers import KeyProvider
from casevault.core.errors import IntegrityFailure

MAGIC = b"CVBACKUP"
FORMAT_VERSION = 1
_FIXED = struct.Struct(">8sBI")
MAX_HEADER = 64 * 1024


@dataclass(frozen=True)
class BackupHeader:
    backup_id: str
    created_at: dt.datetime
    kek_id: str
    wrapped_key: bytes

    @property
    def subject(self) -> str:
        """What the backup key's wrapping is bound to (like a person's pseudonym)."""
        return f"backup-{self.backup_id}"

    def encode(self) -> bytes:
        body = json.dumps(
            {
                "backup_id": self.backup_id,
                "created_at": self.created_at.isoformat(),
                "kek_id": self.kek_id,
                "wrapped_key": base64.b64encode(self.wrapped_key).decode(),
            },
            sort_keys=True,
        ).encode()
        return _FIXED.pack(MAGIC, FORMAT_VERSION, len(body)) + body


def read_header(source: BinaryIO) -> BackupHeader:
    fixed = source.read(_FIXED.size)
    if len(fixed) < _FIXED.size:
        raise IntegrityFailure("not a casevault backup: the file is shorter than its header")
    magic, version, length = _FIXED.unpack(fixed)
    if magic != MAGIC:
        raise IntegrityFailure("not a casevault backup (it does not start with the backup magic)")
    if version != FORMAT_VERSION:
        raise IntegrityFailure(f"backup format {version} is not one this casevault reads ({FORMAT_VERSION})")
    if length > MAX_HEADER:
        raise IntegrityFailure("the backup's header is impossibly long (damaged)")
    try:
        body = json.loads(source.read(length))
        return BackupHeader(
            backup_id=str(body["backup_id"]),
            created_at=dt.datetime.fromisoformat(body["created_at"]),
            kek_id=str(body["kek_id"]),
            wrapped_key=base64.b64decode(body["wrapped_key"], validate=True),
        )
    except (ValueError, KeyError, TypeError):
        raise IntegrityFailure("the backup's header is damaged") from None


class SealingWriter(io.RawIOBase):
    """A write-only stream that seals what is written to it, chunk by chunk, into ``sink``.
    A chunk is sealed only once more bytes follow it, so the last one carries the last flag."""

    def __init__(self, sink: BinaryIO, *, data_key: bytes, backup_id: str, chunk_size: int) -> None:
        self._sink = sink
        self._sealer = ChunkSealer(data_key=data_key, object_key=backup_id, chunk_size=chunk_size)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._finished = False
        sink.write(self._sealer.header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def finish(self) -> None:
        """Seal what is left as the last chunk. Without this the backup reads as truncated."""
        if not self._finished:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._finished = True

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce, sealed = self._sealer.seal(chunk, index=self._index, last=last)
        self._sink.write(nonce)
        self._sink.write(sealed)
        self._index += 1


class OpeningReader(io.RawIOBase):
    """A read-only stream of the plaintext, each chunk authenticated before it is read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._current):
            following = next(self._chunks, None)
            if following is None:
                return 0
            self._current, self._offset = following, 0
        size = min(len(target), len(self._current) - self._offset)
        target[:size] = self._current[self._offset : self._offset + size]
        self._offset += size
        return size


def open_backup(source: BinaryIO, *, provider: KeyProvider) -> tuple[BackupHeader, io.BufferedReader]:
    """The header and a reader of the plaintext tar stream."""
    header = read_header(source)
    data_key = provider.unwrap(subject=header.subject, kek_id=header.kek_id, wrapped=header.wrapped_key)
    chunks = decrypt_stream(source=source, data_key=data_key, object_key=header.backup_id)
    return header, io.BufferedReader(OpeningReader(chunks), buffer_size=256 * 1024)
