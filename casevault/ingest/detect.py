"""Sniff an upload's real type from its first bytes; the filename is never trusted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from casevault.core.errors import UnsupportedMediaType

log = logging.getLogger(__name__)

ContentType = Literal["application/pdf", "image/jpeg", "image/png", "image/tiff"]

ACCEPTED = "PDF, JPEG, PNG or TIFF"

# (magic prefix, content type, how we recognised it)
_SIGNATURES: tuple[tuple[bytes, ContentType, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG SOI marker"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG signature"),
    (b"II*\x00", "image/tiff", "little-endian TIFF header"),
    (b"MM\x00*", "image/tiff", "big-endian TIFF header"),
)

# Readers accept "%PDF-" anywhere in the first 1024 bytes (some scanners and
# mail gateways put junk before it); so do we, but nowhere else.
_PDF_MAGIC = b"%PDF-"
_PDF_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class DetectedType:
    content_type: ContentType
    why: str  # what in the bytes decided it


def detect_type(path: Path) -> DetectedType:
    """Return the type the bytes say, or raise ``UnsupportedMediaType``."""
    with path.open("rb") as f:
        head = f.read(_PDF_WINDOW)
    for magic, content_type, why in _SIGNATURES:
        if head.startswith(magic):
            return _found(DetectedType(content_type, why))
    offset = head.find(_PDF_MAGIC)
    if offset >= 0:
        return _found(DetectedType("application/pdf", f"%PDF- header at byte {offset}"))
    if not head:
        raise UnsupportedMediaType(f"The file is empty. Upload a {ACCEPTED} file.")
    raise UnsupportedMediaType(
        f"This kind of file is not accepted: upload a {ACCEPTED} file "
        "(scan or save the document in one of these formats and upload it again)."
    )


def _found(detected: DetectedType) -> DetectedType:
    log.debug("detected %s (%s)", detected.content_type, detected.why)
    return detected
