"""Key-encryption keys (KEKs): the ``KeyProvider`` protocol and its two implementations.

A provider wraps and unwraps the per-person data keys. The wrapped form is bound to the
person's pseudonym (GCM associated data locally, the KMS encryption context on AWS), so
a wrapped key copied onto another person's row does not unwrap.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.archive.atomic import write_text_atomically
from casevault.core.errors import ConfigurationError, IntegrityFailure

DATA_KEY_BYTES = 32


@dataclass(frozen=True)
class NewDataKey:
    plaintext: bytes
    wrapped: bytes
    kek_id: str


@dataclass(frozen=True)
class Rewrapped:
    wrapped: bytes
    kek_id: str


class KeyProvider(Protocol):
    def current_kek_id(self) -> str: ...

    def new_data_key(self, *, subject: str) -> NewDataKey:
        """A fresh random 256-bit key, and its wrapped form under the current KEK."""
        ...

    def unwrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> bytes: ...

    def rewrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> Rewrapped:
        """The same data key, wrapped under the current KEK."""
        ...

    def start_rotation(self) -> str | None:
        """Make a new KEK current, keeping older ones usable; returns its id, or None
        where the operator chooses the KEK in settings (KMS)."""
        ...

    def finish_rotation(self, *, still_used: set[str]) -> list[str]:
        """Retire KEKs no row uses any more; returns the retired ids."""
        ...


# --- the local key file ---------------------------------------------------------------

_FILE_NOTE = "# casevault key-encryption keys. Keep secret, mode 0600. The last line is current.\n"


def init_key_file(path: Path) -> bool:
    """Create the key file (0600, directory 0700) if it does not exist; True if created."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    _write_keyring(path, [(_new_kek_id(), secrets.token_bytes(DATA_KEY_BYTES))])
    return True


class LocalKeyFile:
    """KEKs kept in a local file: the embedded default. The file holds more than one
    KEK only while a rotation is under way."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._keys = _read_keyring(path)

    def current_kek_id(self) -> str:
        return self._keys[-1][0]

    def new_data_key(self, *, subject: str) -> NewDataKey:
        # Re-read: another process may have rotated since we started (first use per
        # person only, so this costs little).
        self._keys = _read_keyring(self._path)
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        kek_id = self.current_kek_id()
        return NewDataKey(plaintext=data_key, wrapped=self._wrap(subject, kek_id, data_key), kek_id=kek_id)

    def unwrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> bytes:
        kek = self._kek(kek_id)
        try:
            return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _wrap_context(subject, kek_id))
        except InvalidTag:
            raise IntegrityFailure(
                f"the data key of {subject} does not unwrap under KEK {kek_id} (row damaged or moved)"
            ) from None

    def rewrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> Rewrapped:
        data_key = self.unwrap(subject=subject, kek_id=kek_id, wrapped=wrapped)
        current = self.current_kek_id()
        return Rewrapped(wrapped=self._wrap(subject, current, data_key), kek_id=current)

    def start_rotation(self) -> str | None:
        self._keys = [*_read_keyring(self._path), (_new_kek_id(), secrets.token_bytes(DATA_KEY_BYTES))]
        _write_keyring(self._path, self._keys)
        return self.current_kek_id()

    def finish_rotation(self, *, still_used: set[str]) -> list[str]:
        current = self.current_kek_id()
        keep = [(kid, key) for kid, key in self._keys if kid == current or kid in still_used]
        retired = [kid for kid, _ in self._keys if kid not in {k for k, _ in keep}]
        if retired:
            _write_keyring(self._path, keep)
            self._keys = keep
        return retired

    def _wrap(self, subject: str, kek_id: str, data_key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._kek(kek_id)).encrypt(nonce, data_key, _wrap_context(subject, kek_id))

    def _kek(self, kek_id: str) -> bytes:
        for attempt in range(2):
            for kid, key in self._keys:
                if kid == kek_id:
                    return key
            if attempt == 0:  # rotated by another process since we read the file
                self._keys = _read_keyring(self._path)
        raise ConfigurationError(f"KEK {kek_id} is not in the key file {self._path}; restore the key file from backup")


def _wrap_context(subject: str, kek_id: str) -> bytes:
    return f"casevault/data-key/v1|{subject}|{kek_id}".encode()


def _new_kek_id() -> str:
    return "local-" + secrets.token_hex(8)


def _read_keyring(path: Path) -> list[tuple[str, bytes]]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} does not exist; run `casevault storage init` to create it") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"key file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
        )
    keys: list[tuple[str, bytes]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            kek_id, encoded = line.split()
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ConfigurationError(f"key file {path} line {number} is malformed; restore it from backup") from None
        if len(key) != DATA_KEY_BYTES:
            raise ConfigurationError(f"key file {path} line {number} is not a 256-bit key; restore it from backup")
        keys.append((kek_id, key))
    if not keys:
        raise ConfigurationError(f"key file {path} holds no key; restore it from backup")
    return keys


def _write_keyring(path: Path, keys: list[tuple[str, bytes]]) -> None:
    # A crash leaves the old or the new keyring, never half of one.
    lines = "".join(f"{kek_id} {base64.b64encode(key).decode()}\n" for kek_id, key in keys)
    write_text_atomically(path, _FILE_NOTE + lines)
