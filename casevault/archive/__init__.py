"""Encrypted object storage: one ``ObjectStore`` protocol (filesystem and S3 backends),
envelope encryption with per-person data keys, tiers and lifecycle tags.

Importing this package opens nothing and imports boto3 only when S3 or KMS is used.
"""

from casevault.archive.fixity import FixityReport, verify_storage
from casevault.archive.key_providers import KeyProvider
from casevault.archive.provision import InitReport
from casevault.archive.rotation import RotationReport, rotate_keys
from casevault.archive.store import ObjectStore, RestoreState
from casevault.archive.tags import LifecycleTags
from casevault.archive.vault import DeleteReport, PutResult, Vault

__all__ = [
    "DeleteReport",
    "FixityReport",
    "InitReport",
    "KeyProvider",
    "LifecycleTags",
    "ObjectStore",
    "PutResult",
    "RestoreState",
    "RotationReport",
    "Vault",
    "rotate_keys",
    "verify_storage",
]
