"""Settings in, parts out: the one place that reads settings to build the service's parts.

Everything below the composition root takes explicit values (an ``AwsEndpoint``, an
``UploadLimits``, a ``Lifecycle``...), so a test or a benchmark states exactly what it
runs with, and no package below reads the environment.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlparse

from casevault.archive.audit_keys import AuditMacKey, KmsWrappedMacKey, LocalMacKeyFile
from casevault.archive.aws import AwsEndpoint
from casevault.archive.data_keys import DataKeys
from casevault.archive.filesystem import FilesystemStore
from casevault.archive.key_providers import KeyProvider, LocalKeyFile, init_key_file
from casevault.archive.ledger import DestructionLedger
from casevault.archive.provision import BucketRules, InitReport
from casevault.archive.provision import init_storage as provision
from casevault.archive.store import ObjectStore
from casevault.archive.vault import Vault
from casevault.core.auth_failures import FailureLimits
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory
from casevault.core.errors import ConfigurationError
from casevault.core.models import Tier
from casevault.core.settings import MIB, Settings
from casevault.ingest.options import OcrOptions, UploadLimits


def s3_endpoint(settings: Settings) -> AwsEndpoint:
    return AwsEndpoint(
        region=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        addressing_style=settings.s3_addressing_style,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
    )


def kms_endpoint(settings: Settings) -> AwsEndpoint:
    """KMS may live in another region or behind another endpoint than S3; the
    credentials are the same."""
    return AwsEndpoint(
        region=settings.kms_region or settings.s3_region,
        endpoint_url=settings.kms_endpoint_url,
        addressing_style=settings.s3_addressing_style,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
    )


def open_store(settings: Settings) -> ObjectStore:
    """``file:///dir`` for the filesystem store, ``s3://`` for S3 (buckets and endpoint
    from the CASEVAULT_S3_* settings)."""
    url = urlparse(settings.storage_url)
    if url.scheme == "file":
        if url.netloc not in ("", "localhost"):
            raise ConfigurationError("CASEVAULT_STORAGE_URL file:// must name a local directory (file:///path)")
        return FilesystemStore(Path(url.path))
    if url.scheme == "s3":
        from casevault.archive.aws import aws_client  # boto3 only when S3 is used
        from casevault.archive.s3 import S3Store

        endpoint = s3_endpoint(settings)
        return S3Store(
            client=aws_client("s3", endpoint),
            buckets={Tier.active: settings.s3_active_bucket, Tier.archive: settings.s3_archive_bucket},
            archive_storage_class=settings.s3_archive_storage_class,
            multipart_threshold=settings.s3_multipart_threshold_mb * MIB,
            quick_client=lambda: aws_client("s3", endpoint, quick=True),
        )
    raise ConfigurationError(f"CASEVAULT_STORAGE_URL must start with file:// or s3://, got scheme {url.scheme!r}")


def build_key_provider(settings: Settings) -> KeyProvider:
    """The key-encryption key. A local key file readable by others stops start-up here."""
    if settings.key_provider == "aws-kms":
        from casevault.archive.aws import aws_client  # boto3 only when KMS is used
        from casevault.archive.kms import KmsKeyProvider

        if not settings.kms_key_id:
            raise ConfigurationError("CASEVAULT_KMS_KEY_ID must be set when CASEVAULT_KEY_PROVIDER=aws-kms")
        return KmsKeyProvider(client=aws_client("kms", kms_endpoint(settings)), key_id=settings.kms_key_id)
    if settings.key_file is None:
        raise ConfigurationError("no key file configured; set CASEVAULT_KEY_FILE or use load_settings()")
    return LocalKeyFile(settings.key_file)


def audit_mac_key(settings: Settings, *, store: ObjectStore | None = None) -> AuditMacKey:
    """Where the audit chain's MAC key is kept: beside the key-encryption key, never in the database."""
    if settings.key_provider == "aws-kms":
        from casevault.archive.aws import aws_client

        if not settings.kms_key_id:
            raise ConfigurationError("CASEVAULT_KMS_KEY_ID must be set when CASEVAULT_KEY_PROVIDER=aws-kms")
        return KmsWrappedMacKey(
            kms=aws_client("kms", kms_endpoint(settings)),
            key_id=settings.kms_key_id,
            store=store or open_store(settings),
        )
    if settings.key_file is None:
        raise ConfigurationError("no key file configured; set CASEVAULT_KEY_FILE or use load_settings()")
    return LocalMacKeyFile(kek_file=settings.key_file)


def build_vault(
    settings: Settings, *, new_session: SessionFactory, clock: Clock, store: ObjectStore | None = None
) -> Vault:
    """Assemble the vault. Opens no network connection."""
    return Vault(
        store=store or open_store(settings),
        data_keys=DataKeys(provider=build_key_provider(settings), new_session=new_session, clock=clock),
        chunk_size=settings.chunk_size,
        clock=clock,
    )


def init_storage(settings: Settings) -> InitReport:
    """Create the key file, directories or buckets, and prove they work (``storage init``)."""
    created_key_file = None
    if settings.key_provider == "local" and settings.key_file is not None and init_key_file(settings.key_file):
        created_key_file = settings.key_file
    store = open_store(settings)
    return provision(
        store=store,
        key_provider=build_key_provider(settings),
        key_provider_name=settings.key_provider,
        created_key_file=created_key_file,
        buckets=BucketRules(
            region=settings.s3_region,
            noncurrent_expiry_days=settings.s3_noncurrent_expiry_days,
            archive_storage_class=settings.s3_archive_storage_class,
        ),
        audit_mac_key=audit_mac_key(settings, store=store),
    )


def upload_limits(settings: Settings) -> UploadLimits:
    return UploadLimits(
        max_bytes=settings.max_upload_bytes,
        max_pages=settings.max_pages,
        max_image_pixels=settings.max_image_pixels,
        default_dpi=settings.ocr_dpi,
    )


def ocr_options(settings: Settings) -> OcrOptions:
    return OcrOptions(
        languages=settings.ocr_languages,
        dpi=settings.ocr_dpi,
        deskew=settings.ocr_deskew,
        processes=settings.ocr_processes,
        max_pixels=settings.max_image_pixels,
        stall_after=dt.timedelta(seconds=settings.ocr_stall_seconds),
    )


def failure_limits(settings: Settings) -> FailureLimits:
    """How many requests without a valid token an address may send before 429 and lockout."""
    return FailureLimits(
        per_minute=settings.auth_failures_per_minute,
        lockout_failures=settings.auth_lockout_failures,
        lockout_window=dt.timedelta(minutes=settings.auth_lockout_window_minutes),
        lockout=dt.timedelta(minutes=settings.auth_lockout_minutes),
    )


def destruction_ledger(settings: Settings, *, store: ObjectStore) -> DestructionLedger:
    """The ledger of destructions outside the database: in the store, and where the store lives
    in the data directory (the embedded default) also beside the backups, so losing the data
    directory does not lose it."""
    in_data_dir = urlparse(settings.storage_url).scheme == "file"
    mirror = settings.backup_dir / "ledger" if in_data_dir and settings.backup_dir is not None else None
    return DestructionLedger(store=store, mirror=mirror)
