"""boto3 clients and the one place AWS errors become casevault errors.

Retries with backoff on throttling and 5xx are botocore's "standard" mode; what is
still failing after them is transient (try later) or needs the operator (StorageError).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NoReturn

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ReadTimeoutError, ResponseStreamingError
from botocore.exceptions import ConnectionError as BotoConnectionError

from casevault.core.errors import CasevaultError, NotFound, StorageError, TransientError

MAX_ATTEMPTS = 5
QUICK_TIMEOUT = 2  # seconds, for readiness probes
_TRANSIENT_CODES = {
    "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable", "KMSInternalException",
    "KeyUnavailableException", "DependencyTimeoutException", "OperationAborted",
}  # fmt: skip
_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchVersion", "NotFound", "404", "NoSuchUpload"}
_ADVICE = {
    "NoSuchBucket": "the bucket does not exist; run `casevault storage init` or check CASEVAULT_S3_*_BUCKET",
    "AccessDenied": "the credentials are not allowed to do this; grant the permission or fix CASEVAULT_S3_* keys",
    "403": "the credentials are not allowed to do this; grant the permission or fix CASEVAULT_S3_* keys",
    "InvalidAccessKeyId": "the access key is unknown to the server; check CASEVAULT_S3_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the secret key is wrong; check CASEVAULT_S3_SECRET_ACCESS_KEY",
    "InvalidObjectState": "the object is in a cold storage class; request a restore and wait until it is ready",
    "InvalidStorageClass": "the server does not offer this storage class; change CASEVAULT_S3_ARCHIVE_STORAGE_CLASS",
}


@dataclass(frozen=True)
class AwsEndpoint:
    """Where an AWS API (or a compatible server) answers, and as whom. Empty credentials
    mean the standard AWS credential chain (environment, profile, instance role)."""

    region: str
    endpoint_url: str | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    access_key_id: str | None = None
    secret_access_key: str | None = None


def client_config(endpoint: AwsEndpoint, *, quick: bool = False) -> Config:
    """``quick``: one attempt with short timeouts, for readiness probes that must answer in time."""
    return Config(
        region_name=endpoint.region,
        s3={"addressing_style": endpoint.addressing_style},
        retries={"mode": "standard", "max_attempts": 1 if quick else MAX_ATTEMPTS},
        connect_timeout=QUICK_TIMEOUT if quick else 10,
        read_timeout=QUICK_TIMEOUT if quick else 60,
        # Checksums only where S3 requires them: MinIO and other servers vary in the rest.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


def aws_client(service: Literal["s3", "kms"], endpoint: AwsEndpoint, *, quick: bool = False) -> Any:
    credentials: dict[str, str] = {}
    if endpoint.access_key_id and endpoint.secret_access_key:
        credentials = {"aws_access_key_id": endpoint.access_key_id, "aws_secret_access_key": endpoint.secret_access_key}
    session = boto3.session.Session()
    config = client_config(endpoint, quick=quick)
    return session.client(service, endpoint_url=endpoint.endpoint_url, config=config, **credentials)


def error_code(error: Exception) -> str:
    """S3/KMS error code ("NoSuchKey", or the HTTP status when the body had none); "" for
    errors that never reached the server."""
    if not isinstance(error, ClientError):
        return ""
    response = error.response
    return str(response.get("Error", {}).get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def raise_translated(error: Exception, *, doing: str) -> NoReturn:
    """Re-raise a botocore error as one of ours; ``doing`` names the operation, never data."""
    if isinstance(error, CasevaultError):
        raise error
    if isinstance(error, ClientError):
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _NOT_FOUND_CODES:
            raise NotFound(f"{doing}: no such object") from error
        if code in _TRANSIENT_CODES or status >= 500:
            raise TransientError(f"{doing}: the server is busy or failing ({code}); try again later") from error
        advice = _ADVICE.get(code, "check the server's logs and the credentials' permissions")
        raise StorageError(f"{doing} was refused ({code}): {advice}") from error
    if isinstance(error, NoCredentialsError):
        raise StorageError(
            f"{doing}: no AWS credentials found; set CASEVAULT_S3_ACCESS_KEY_ID/SECRET_ACCESS_KEY "
            "or configure the standard AWS credential chain"
        ) from error
    if isinstance(error, (BotoConnectionError, ReadTimeoutError, ResponseStreamingError)):
        raise TransientError(
            f"{doing}: could not reach the server ({type(error).__name__}); try again later"
        ) from error
    if isinstance(error, BotoCoreError):
        raise StorageError(f"{doing} failed: {error}") from error
    raise error


AWS_ERRORS = (ClientError, BotoCoreError)
