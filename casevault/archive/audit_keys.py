"""The audit log's MAC key: kept where the key-encryption key is, never in the database.

Whoever can write the database must not be able to recompute the audit chain, so the
key lives with the KEK:

- local key file: a random 256-bit key in its own file beside the KEK file
  (``<keys>/audit-mac.key``, mode 0600), created by ``casevault storage init``. Backed up
  and restored with the KEK file; losing it means the keyed chain can no longer be
  verified.
- AWS KMS: a 256-bit key made once by KMS (GenerateDataKey) and kept only wrapped, as
  the object ``AWS_MAC_KEY_OBJECT`` in the active tier of the store. Every process of a
  deployment (API, workers, on any machine) reaches the store and KMS, and nothing else
  shared; the wrapped bytes are useless without the KMS key's Decrypt permission, every
  unwrap is logged by KMS (CloudTrail), and the database never sees it. The encryption
  context binds the blob to this purpose, so a data key's blob cannot stand in for it.
"""

from __future__ import annotations

import base64
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from casevault.archive.atomic import write_text_atomically
from casevault.archive.store import ObjectStore
from casevault.core.errors import ConfigurationError, NotFound
from casevault.core.models import Tier

MAC_KEY_BYTES = 32
LOCAL_FILE_NAME = "audit-mac.key"
AWS_MAC_KEY_OBJECT = "casevault-audit-mac-key"
SERVICE_TAGS = {"casevault-kind": "audit"}  # no lifecycle tags: never moved or expired by rules
_KMS_CONTEXT = {"casevault:purpose": "audit-mac-key"}
_FILE_NOTE = "# casevault audit MAC key. Keep secret, mode 0600, back up with the key file beside it.\n"


class AuditMacKey(Protocol):
    """Where the audit MAC key is kept: ``init`` makes it if missing (saying what it made),
    ``load`` reads it or says what to restore."""

    def init(self) -> str | None: ...

    def load(self) -> bytes: ...


@dataclass(frozen=True)
class LocalMacKeyFile:
    """Beside the local key-encryption key file."""

    kek_file: Path

    @property
    def path(self) -> Path:
        return self.kek_file.parent / LOCAL_FILE_NAME

    def init(self) -> str | None:
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists():
            return None
        write_text_atomically(path, _FILE_NOTE + base64.b64encode(secrets.token_bytes(MAC_KEY_BYTES)).decode() + "\n")
        return f"created audit MAC key file {path} (mode 0600)"

    def load(self) -> bytes:
        return _read_local(self.path, kek_file=self.kek_file)


@dataclass(frozen=True)
class KmsWrappedMacKey:
    """Made by KMS, kept only wrapped, as an object in the active tier of the store."""

    kms: Any  # a boto3 KMS client
    key_id: str
    store: ObjectStore

    def init(self) -> str | None:
        from casevault.archive.aws import AWS_ERRORS, raise_translated

        if self.store.head(tier=Tier.active, key=AWS_MAC_KEY_OBJECT) is not None:
            return None
        try:
            made = self.kms.generate_data_key(KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=_KMS_CONTEXT)
        except AWS_ERRORS as error:
            raise_translated(error, doing="generating the audit MAC key in KMS")
        with self.store.writer(tier=Tier.active, key=AWS_MAC_KEY_OBJECT, tags=SERVICE_TAGS) as sink:
            sink.write(made["CiphertextBlob"])
        return f"created the audit MAC key, wrapped by KMS, as object {AWS_MAC_KEY_OBJECT} in the active tier"

    def load(self) -> bytes:
        from casevault.archive.aws import AWS_ERRORS, raise_translated

        try:
            with self.store.reader(tier=Tier.active, key=AWS_MAC_KEY_OBJECT) as stored:
                wrapped = stored.read()
        except NotFound:
            raise ConfigurationError(
                f"the wrapped audit MAC key (object {AWS_MAC_KEY_OBJECT} in the active tier) is missing: restore that "
                "object from a backup or an earlier version of the bucket; on a new installation "
                "`casevault storage init` creates it"
            ) from None
        try:
            key = self.kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=_KMS_CONTEXT)["Plaintext"]
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"unwrapping the audit MAC key (object {AWS_MAC_KEY_OBJECT}) in KMS")
        return bytes(key)


def _read_local(path: Path, *, kek_file: Path | None) -> bytes:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(
            f"the audit MAC key file {path} is missing: restore it from the backup of the key directory "
            f"(it is kept beside the key file {kek_file}); on a new installation `casevault storage init` creates it"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"audit MAC key file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run `chmod 600 {path}`"
        )
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    try:
        key = base64.b64decode(lines[0], validate=True) if len(lines) == 1 else b""
    except ValueError:
        key = b""
    if len(key) != MAC_KEY_BYTES:
        raise ConfigurationError(f"audit MAC key file {path} is damaged; restore it from backup")
    return key
