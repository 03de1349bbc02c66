"""Settings in, parts out: the one place that picks the store backend and key provider."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from casevault.archive.data_keys import DataKeys
from casevault.archive.filesystem import FilesystemStore
from casevault.archive.key_providers import build_key_provider
from casevault.archive.store import ObjectStore
from casevault.archive.vault import Vault
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory
from casevault.core.errors import ConfigurationError
from casevault.core.settings import Settings


def open_store(settings: Settings) -> ObjectStore:
    """``file:///dir`` for the filesystem store, ``s3://`` for S3 (buckets and endpoint
    from the CASEVAULT_S3_* settings)."""
    url = urlparse(settings.storage_url)
    if url.scheme == "file":
        return filesystem_store(settings)
    if url.scheme == "s3":
        from casevault.archive.s3 import S3Store  # boto3 only when S3 is used

        return S3Store.from_settings(settings)
    raise ConfigurationError(
        f"CASEVAULT_STORAGE_URL must start with file:// or s3://, got scheme {url.scheme!r}"
    )


def filesystem_store(settings: Settings) -> FilesystemStore:
    url = urlparse(settings.storage_url)
    if url.netloc not in ("", "localhost"):
        raise ConfigurationError("CASEVAULT_STORAGE_URL file:// must name a local directory (file:///path)")
    return FilesystemStore(Path(url.path))


def build_vault(settings: Settings, *, new_session: SessionFactory, clock: Clock) -> Vault:
    """Check the key-encryption key is usable (a key file readable by others stops
    start-up here) and assemble the vault. Opens no network connection."""
    provider = build_key_provider(settings)
    return Vault(
        store=open_store(settings),
        data_keys=DataKeys(provider=provider, new_session=new_session, clock=clock),
        chunk_size=settings.chunk_size,
        clock=clock,
    )
