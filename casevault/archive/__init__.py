"""Encrypted object storage: one ``ObjectStore`` protocol (filesystem and S3 backends),
envelope encryption with per-person data keys, tiers and lifecycle tags.

Importing this package opens nothing and imports boto3 only when S3 or KMS is used.
"""

from casevault.archive.factory import build_vault, open_store
from casevault.archive.key_providers import KeyProvider
from casevault.archive.store import ObjectStore, RestoreState
from casevault.archive.tags import LifecycleTags
from casevault.archive.vault import DeleteReport, PutResult, Vault

__all__ = [
    "DeleteReport",
    "KeyProvider",
    "LifecycleTags",
    "ObjectStore",
    "PutResult",
    "RestoreState",
    "Vault",
    "build_vault",
    "open_store",
]
