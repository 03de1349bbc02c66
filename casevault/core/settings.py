"""Settings from ``CASEVAULT_*`` environment variables.

Built once by the composition root (``casevault.app.services``) and passed down;
nothing here runs at import time. Paths and URLs that default to the data
directory are resolved by ``Settings.resolved()`` so one ``CASEVAULT_DATA_DIR``
moves the whole embedded install.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from casevault.core.errors import ConfigurationError

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEVAULT_", extra="ignore", frozen=True)

    # --- where things live -------------------------------------------------------
    data_dir: Path = Path("./var")
    database_url: str = ""  # default: sqlite in data_dir
    storage_url: str = ""  # default: file:// directory in data_dir; or s3://
    broker_url: str = ""  # default: Celery on a SQLite broker in data_dir
    # Starts the name of every queue (and broadcast exchange, and Redis bookkeeping key)
    # this installation uses, so installations sharing one broker never take each other's tasks.
    queue_prefix: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")

    # --- API ---------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # JSON bodies and forms, not uploads: the longest field, a note of 20,000 characters, takes
    # 120 KB as JSON \u escapes and 180 KB as a form's %-encoded UTF-8 (Greek, Hindi, ...).
    max_request_body_kb: int = Field(default=256, ge=1)
    api_workers: int = Field(default=1, ge=1)  # uvicorn processes serving the API
    # How long /readyz and /metrics wait for each dependency before naming it as down.
    probe_seconds: float = Field(default=2.0, gt=0, le=60)
    # Requests without a valid token, per client address: past this many in a minute
    # the API answers 429; this many within the lockout window locks the address out.
    auth_failures_per_minute: int = Field(default=20, ge=1)
    auth_lockout_failures: int = Field(default=50, ge=1)
    auth_lockout_window_minutes: int = Field(default=10, ge=1)
    auth_lockout_minutes: int = Field(default=15, ge=1)
    # A request body whose next part does not arrive within this is answered 408.
    body_timeout_seconds: float = Field(default=30, gt=0)
    # The OpenAPI schema needs a user's token unless this opens it to anyone.
    public_api_docs: bool = False
    # The web pages sign a browser out after this long without a request (and after 12 hours in any case).
    session_idle_minutes: int = Field(default=30, ge=1, le=720)

    # --- object storage (S3) -----------------------------------------------------
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    s3_access_key_id: str | None = None  # else the standard AWS credential chain
    s3_secret_access_key: str | None = None
    s3_active_bucket: str = "casevault-active"
    s3_archive_bucket: str = "casevault-archive"
    s3_archive_storage_class: Literal["", "STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] = ""
    s3_multipart_threshold_mb: int = Field(default=64, ge=5)
    s3_noncurrent_expiry_days: int = Field(default=7, ge=1)

    # --- encryption --------------------------------------------------------------
    key_provider: Literal["local", "aws-kms"] = "local"
    key_file: Path | None = None  # default: data_dir/keys/kek.key
    kms_key_id: str | None = None
    kms_endpoint_url: str | None = None
    kms_region: str | None = None
    chunk_size_kb: int = Field(default=1024, ge=4, le=64 * 1024)

    # --- uploads and OCR ---------------------------------------------------------
    max_upload_mb: int = Field(default=200, ge=1)
    max_pages: int = Field(default=1000, ge=1)
    max_image_pixels: int = Field(default=100_000_000, ge=1_000_000)
    ocr_languages: str = "eng"
    ocr_dpi: int = Field(default=300, ge=70, le=1200)
    ocr_deskew: bool = False
    ocr_jobs: int = Field(default=0, ge=0)  # 0: one tesseract per core
    # An OCR whose worker stops reporting progress for this long is handed to
    # another worker; a queued document waits 3x this before it is sent again.
    ocr_stall_seconds: int = Field(default=300, ge=10)

    # --- retention ---------------------------------------------------------------
    schedule_file: Path | None = None  # default: the schedule shipped with casevault
    require_destruction_approval: bool = False
    sweep_batch_size: int = Field(default=200, ge=1)
    # a completed subject access request's hold stays this many days, then the daily sweep releases it
    sar_hold_days: int = Field(default=30, ge=0, le=3660)

    # --- scheduling (beat) ---------------------------------------------------------
    # Only the beat holding the lease sends periodic tasks; a standby takes over
    # once the holder has not renewed it for this long.
    beat_lease_seconds: int = Field(default=60, ge=5)

    # --- backups -------------------------------------------------------------------
    # Default: beside the data directory, never inside it, so wiping or losing the data
    # directory keeps the backups and the destruction ledger a restore replays.
    backup_dir: Path | None = None  # default: <data dir>-backups, next to the data directory
    backup_keep: int = Field(default=7, ge=1)  # daily backups kept; the oldest go first

    # --- single sign-on (OpenID Connect) for the web pages; off when no issuer ---------
    oidc_issuer: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_role_claim: str = Field(default="casevault_role", min_length=1)  # its value: officer, manager or admin
    oidc_username_claim: str = Field(default="preferred_username", min_length=1)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"  # json: one object per line, for collectors

    @model_validator(mode="after")
    def _kms_needs_a_key(self) -> Settings:
        if self.key_provider == "aws-kms" and not self.kms_key_id:
            raise ValueError("CASEVAULT_KMS_KEY_ID must be set when CASEVAULT_KEY_PROVIDER=aws-kms")
        return self

    @model_validator(mode="after")
    def _sso_needs_a_client(self) -> Settings:
        loopback = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)", self.oidc_issuer or "")
        if self.oidc_issuer and not (self.oidc_issuer.startswith("https://") or loopback):
            raise ValueError("CASEVAULT_OIDC_ISSUER must be an https:// URL (plain http only on this machine)")
        for name in ("oidc_client_id", "oidc_client_secret"):
            if self.oidc_issuer and not getattr(self, name):
                raise ValueError(f"CASEVAULT_{name.upper()} must be set when CASEVAULT_OIDC_ISSUER is set")
        return self

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    # --- derived -----------------------------------------------------------------

    def resolved(self) -> Settings:
        """Fill the defaults that live under ``data_dir`` (absolute paths)."""
        data_dir = self.data_dir.expanduser().resolve()
        return self.model_copy(
            update={
                "data_dir": data_dir,
                "database_url": self.database_url or f"sqlite:///{data_dir / 'casevault.db'}",
                "storage_url": self.storage_url or f"file://{data_dir / 'objects'}",
                "broker_url": self.broker_url or f"sqla+sqlite:///{data_dir / 'broker.db'}",
                "key_file": (self.key_file or data_dir / "keys" / "kek.key").expanduser().resolve(),
                "backup_dir": (self.backup_dir or data_dir.parent / f"{data_dir.name}-backups").expanduser().resolve(),
            }
        )

    @property
    def chunk_size(self) -> int:
        return self.chunk_size_kb * 1024

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MIB

    @property
    def ocr_processes(self) -> int:
        return self.ocr_jobs or (os.cpu_count() or 1)


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; bad values stop start-up naming the variable."""
    try:
        return Settings(**overrides).resolved()  # type: ignore[arg-type]  # overrides are checked by pydantic, by name
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()
            variable = f"CASEVAULT_{name}" if name else "settings"
            problems.append(f"{variable}: {error['msg']}")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None
