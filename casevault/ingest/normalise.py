"""Upload -> validated PDF on disk. Detect, check, convert; nothing is stored here.

    normalise_upload(source, workdir=..., limits=UploadLimits(max_pages=50))

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
from casevault.ingest.images import ImageCheck, check_image, image_to_pdf
from casevault.ingest.options import UploadLimits
from casevault.ingest.pdfcheck import check_pdf

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What an upload is, found from its bytes and checked, before any conversion."""

    detected: DetectedType
    page_count: int
    active_content: tuple[str, ...]  # kinds found ("javascript", "embedded file", ...)
    image: ImageCheck | None  # the frames' checks when the upload is an image

    @property
    def content_type(self) -> ContentType:
        return self.detected.content_type

    @property
    def had_active_content(self) -> bool:
        return bool(self.active_content)


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


def inspect_upload(source: Path, *, limits: UploadLimits) -> Inspection:
    """Detect and check an upload without converting it (what accepting it needs);
    raise UnsupportedMediaType / UnreadableDocument / PayloadTooLarge."""
    _check_size(source, limits)
    detected = detect_type(source)
    if detected.content_type == "application/pdf":
        pdf = check_pdf(source, max_pages=limits.max_pages, max_pixels=limits.max_image_pixels, dpi=limits.default_dpi)
        return Inspection(detected, pdf.page_count, pdf.active_content, image=None)
    image = check_image(source, detected.content_type, max_pages=limits.max_pages, max_pixels=limits.max_image_pixels)
    return Inspection(detected, len(image.frames), (), image=image)


def normalise_upload(source: Path, *, workdir: Path, limits: UploadLimits) -> NormalisedDocument:
    """Inspect, then convert an image to PDF in ``workdir`` (a PDF is used as it is)."""
    inspection = inspect_upload(source, limits=limits)
    if inspection.image is None:
        document = _normalised_pdf(source, inspection)
    else:
        document = _normalised_image(source, inspection, inspection.image, workdir, limits)
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


def _normalised_pdf(source: Path, inspection: Inspection) -> NormalisedDocument:
    detected = inspection.detected
    how = f"pdf ({detected.why}) checked with pikepdf, kept as uploaded"
    if inspection.active_content:
        how += f"; active content (original only, never run): {', '.join(inspection.active_content)}"
    return NormalisedDocument(
        source, detected.content_type, inspection.page_count, inspection.active_content, False, how
    )


def _normalised_image(
    source: Path, inspection: Inspection, check: ImageCheck, workdir: Path, limits: UploadLimits
) -> NormalisedDocument:
    detected = inspection.detected
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "normalised.pdf"
    conversion = image_to_pdf(source, detected.content_type, check, out=out, default_dpi=limits.default_dpi)
    how = f"image ({detected.why}): {conversion.how}"
    return NormalisedDocument(out, detected.content_type, conversion.pages, (), True, how)
