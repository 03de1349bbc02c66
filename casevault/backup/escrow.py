"""Key escrow: the local key file (every key-encryption key in it) and the audit MAC key
beside it, sealed under a passphrase, to keep offline and apart from the backups.

    {"format": "casevault-key-escrow/1", "kdf": "scrypt", "n", "r", "p", "salt", "nonce", "sealed"}

The passphrase is stretched with scrypt (memory-hard: 2^17 x 8 x 128 bytes = 128 MiB per
guess), and the two files are sealed with AES-256-GCM under the result. A wrong passphrase
or a changed byte fails authentication: nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.archive.atomic import write_text_atomically
from casevault.core.errors import Conflict, IntegrityFailure, InvalidInput

FORMAT = "casevault-key-escrow/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class KeyFiles:
    kek_file: Path
    audit_mac_file: Path


def export_keys(files: KeyFiles, *, destination: Path, passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"the passphrase must be at least {MIN_PASSPHRASE} characters", field="passphrase")
    if destination.exists():
        raise Conflict(f"{destination} exists; name a new file (an escrow file is never overwritten)")
    payload = json.dumps(
        {
            "kek_file": files.kek_file.read_text(),
            "audit_mac_key": files.audit_mac_file.read_text() if files.audit_mac_file.exists() else None,
        }
    ).encode()
    salt, nonce = os.urandom(16), os.urandom(12)
    params = {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
    sealed = AESGCM(_stretch(passphrase, salt, params)).encrypt(nonce, payload, FORMAT.encode())
    document = {"format": FORMAT, **params, "salt": _b64(salt), "nonce": _b64(nonce), "sealed": _b64(sealed)}
    write_text_atomically(destination, json.dumps(document, indent=1) + "\n")


def import_keys(files: KeyFiles, *, source: Path, passphrase: str) -> list[Path]:
    """Write the key files back (refusing to overwrite different ones); returns what was written."""
    try:
        document = json.loads(source.read_text())
        if document.get("format") != FORMAT or document.get("kdf") != "scrypt":
            raise ValueError
        params = {"kdf": "scrypt", "n": int(document["n"]), "r": int(document["r"]), "p": int(document["p"])}
        salt, nonce = base64.b64decode(document["salt"]), base64.b64decode(document["nonce"])
        sealed = base64.b64decode(document["sealed"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput(f"{source} is not a casevault key escrow file", field="file") from None
    try:
        payload = json.loads(AESGCM(_stretch(passphrase, salt, params)).decrypt(nonce, sealed, FORMAT.encode()))
    except InvalidTag:
        raise IntegrityFailure("wrong passphrase, or the escrow file was changed: nothing was imported") from None
    written = []
    for path, text in ((files.kek_file, payload["kek_file"]), (files.audit_mac_file, payload["audit_mac_key"])):
        if text is None:
            continue
        if path.exists():
            if path.read_text() != text:
                raise Conflict(f"{path} exists and holds other keys; move it aside first (nothing was imported)")
            continue
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_text_atomically(path, text)
        written.append(path)
    return written


def _stretch(passphrase: str, salt: bytes, params: dict[str, object]) -> bytes:
    n, r, p = int(params["n"]), int(params["r"]), int(params["p"])  # type: ignore[call-overload]  # ints, checked above
    if not (2**14 <= n <= 2**20 and 1 <= r <= 16 and 1 <= p <= 4):
        raise InvalidInput("the escrow file asks for scrypt parameters out of range (damaged)", field="file")
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
