"""AWS KMS as the key-encryption key: data keys never leave KMS unwrapped except into
this process, and each is bound to its person by the encryption context.

Rotation: KMS's own yearly rotation needs nothing from us. To move to another KMS key,
set CASEVAULT_KMS_KEY_ID to it and run `casevault keys rotate`: rows still wrapped under
the old key are re-encrypted inside KMS (ReEncrypt), so the data key is never exposed.
"""

from __future__ import annotations

from typing import Any

from casevault.archive.aws import AWS_ERRORS, error_code, raise_translated
from casevault.archive.key_providers import NewDataKey, Rewrapped
from casevault.core.errors import IntegrityFailure

CONTEXT_KEY = "casevault:subject"


class KmsKeyProvider:
    def __init__(self, *, client: Any, key_id: str) -> None:
        self._client = client
        self._key_id = key_id
        self._arn: str | None = None

    def current_kek_id(self) -> str:
        # Rows record the key's ARN, whatever alias or id the settings use.
        if self._arn is None:
            try:
                self._arn = self._client.describe_key(KeyId=self._key_id)["KeyMetadata"]["Arn"]
            except AWS_ERRORS as error:
                raise_translated(error, doing=f"looking up KMS key {self._key_id}")
        return self._arn

    def new_data_key(self, *, subject: str) -> NewDataKey:
        try:
            answer = self._client.generate_data_key(
                KeyId=self.current_kek_id(), KeySpec="AES_256", EncryptionContext=_context(subject)
            )
        except AWS_ERRORS as error:
            raise_translated(error, doing="generating a data key in KMS")
        return NewDataKey(plaintext=answer["Plaintext"], wrapped=answer["CiphertextBlob"], kek_id=answer["KeyId"])

    def unwrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> bytes:
        try:
            answer = self._client.decrypt(CiphertextBlob=wrapped, KeyId=kek_id, EncryptionContext=_context(subject))
            plaintext: bytes = answer["Plaintext"]
            return plaintext
        except AWS_ERRORS as error:
            if error_code(error) == "InvalidCiphertextException":
                raise IntegrityFailure(
                    f"the data key of {subject} does not unwrap in KMS (row damaged or moved)"
                ) from error
            raise_translated(error, doing="unwrapping a data key in KMS")

    def rewrap(self, *, subject: str, kek_id: str, wrapped: bytes) -> Rewrapped:
        try:
            answer = self._client.re_encrypt(
                CiphertextBlob=wrapped,
                SourceKeyId=kek_id,
                SourceEncryptionContext=_context(subject),
                DestinationKeyId=self.current_kek_id(),
                DestinationEncryptionContext=_context(subject),
            )
        except AWS_ERRORS as error:
            raise_translated(error, doing="re-encrypting a data key in KMS")
        return Rewrapped(wrapped=answer["CiphertextBlob"], kek_id=answer["KeyId"])

    def start_rotation(self) -> str | None:
        # A new KEK here is a new KMS key chosen by the operator in settings, not by us.
        return None

    def finish_rotation(self, *, still_used: set[str]) -> list[str]:
        return []  # old KMS keys are scheduled for deletion by the operator, in KMS


def _context(subject: str) -> dict[str, str]:
    return {CONTEXT_KEY: subject}
