"""Upload -> validated PDF on disk. Detect, check, convert; nothing is stored here.

    normalise_upload(source, workdir=..., limits=UploadLimits.from_settings(s))

reads like the steps it takes: size, type from the bytes, the type's own
checks (headers only for images), and conversion of images to PDF. PDFs are
not rewritten: the checked file itself is the normalised document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from casevault.core.errors import PayloadTooLarge, UnreadableDocument
from casevault.ingest.detect import ContentType, DetectedType, detect_type
from casevault.ingest.images import check_image, image_to_pdf
from casevault.ingest.options import UploadLimits
from casevault.ingest.pdfcheck import check_pdf

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NormalisedDocument:
    pdf: Path  # the PDF to OCR: the upload itself when it was a PDF, else a new file in workdir
    content_type: ContentType  # what the upload's bytes are (not what its name or header said)
    page_count: int
    active_content: tuple[str, ...]  # kinds found ("javascript", "embedded file", ...): kept in the original only
    converted: bool  # True when pdf was made from an image
    how: str  # one line saying what was decided, for the log

    @property
    def had_active_content(self) -> bool:
        return bool(self.active_content)


def normalise_upload(source: Path, *, workdir: Path, limits: UploadLimits) -> NormalisedDocument:
    """Detect, validate and convert an upload; raise UnsupportedMediaType / UnreadableDocument."""
    _check_size(source, limits)
    detected = detect_type(source)
    if detected.content_type == "application/pdf":
        document = _normalise_pdf(source, detected, limits)
    else:
        document = _normalise_image(source, detected, workdir, limits)
    log.info("upload normalised: %s, %d page(s); %s", document.content_type, document.page_count, document.how)
    return document


def _check_size(source: Path, limits: UploadLimits) -> None:
    size = source.stat().st_size
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"The file is larger than the {limits.max_bytes // (1024 * 1024)} MB allowed: "
            "split it or scan it at a lower resolution and upload it again."
        )
    if size == 0:
        raise UnreadableDocument("The file is empty: upload it again.")


def _normalise_pdf(source: Path, detected: DetectedType, limits: UploadLimits) -> NormalisedDocument:
    check = check_pdf(source, max_pages=limits.max_pages, max_pixels=limits.max_image_pixels, dpi=limits.default_dpi)
    how = f"pdf ({detected.why}) checked with pikepdf, kept as uploaded"
    if check.active_content:
        how += f"; active content (original only, never run): {', '.join(check.active_content)}"
    return NormalisedDocument(source, detected.content_type, check.page_count, check.active_content, False, how)


def _normalise_image(
    source: Path, detected: DetectedType, workdir: Path, limits: UploadLimits
) -> NormalisedDocument:
    check = check_image(
        source, detected.content_type, max_pages=limits.max_pages, max_pixels=limits.max_image_pixels
    )
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "normalised.pdf"
    conversion = image_to_pdf(source, detected.content_type, check, out=out, default_dpi=limits.default_dpi)
    how = f"image ({detected.why}): {conversion.how}"
    return NormalisedDocument(out, detected.content_type, conversion.pages, (), True, how)
