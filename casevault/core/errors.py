"""One tree of errors for the whole service.

Each error knows the HTTP status it maps to and whether trying again may help.
Edges translate them once: an exception handler in the API (problem+json), a
decorator on Celery tasks (retry only when ``retryable``), exit codes in the CLI.
Messages are written for the person who has to act on them, and never carry
personal data (names, dates of birth, document text): ids only.
"""

from __future__ import annotations


class CasevaultError(Exception):
    """Base of every error casevault raises on purpose."""

    http_status: int = 500
    title: str = "Internal error"
    retryable: bool = False
    exit_code: int = 1

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# --- 4xx: the caller can fix it -------------------------------------------------


class InvalidInput(CasevaultError):
    """The request is well formed but says something impossible."""

    http_status = 422
    title = "Invalid input"
    exit_code = 2

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class BadQuery(CasevaultError):
    http_status = 400
    title = "Bad query"
    exit_code = 2


class Unauthenticated(CasevaultError):
    http_status = 401
    title = "Not authenticated"
    exit_code = 3


class Forbidden(CasevaultError):
    http_status = 403
    title = "Forbidden"
    exit_code = 3


class NotFound(CasevaultError):
    http_status = 404
    title = "Not found"
    exit_code = 4
    audited = False


class NotVisible(NotFound):
    """Exists, maybe, but not for this caller: answered exactly as missing, so ids cannot
    be probed, and audited as a refusal, so the probing shows in the audit log."""

    audited = True


class Conflict(CasevaultError):
    """The request clashes with the current state (closing a closed case, ...)."""

    http_status = 409
    title = "Conflict"
    exit_code = 5


class PayloadTooLarge(CasevaultError):
    http_status = 413
    title = "Payload too large"
    exit_code = 2


class UnsupportedMediaType(CasevaultError):
    http_status = 415
    title = "Unsupported media type"
    exit_code = 2


class UnreadableDocument(CasevaultError):
    """The file's type is accepted but this file cannot be read safely."""

    http_status = 422
    title = "Unreadable document"
    exit_code = 2


# --- 5xx: the operator has to act, or trying again may help -------------------


class ConfigurationError(CasevaultError):
    """Settings or the environment are wrong; start-up stops with this."""

    title = "Configuration error"
    exit_code = 78  # EX_CONFIG


class IntegrityFailure(CasevaultError):
    """Stored bytes do not decrypt or do not match their recorded hash."""

    title = "Integrity check failed"
    exit_code = 6


class KeyDestroyed(CasevaultError):
    """The data key was crypto-shredded: the data is gone for good."""

    http_status = 410
    title = "Gone"
    exit_code = 6


class TransientError(CasevaultError):
    """A dependency is briefly unavailable (throttling, 5xx, broker down)."""

    http_status = 503
    title = "Service unavailable"
    retryable = True
    exit_code = 75  # EX_TEMPFAIL


class StorageError(CasevaultError):
    """The object store refused an operation for a reason retrying won't fix."""

    http_status = 502
    title = "Storage error"
    exit_code = 7
