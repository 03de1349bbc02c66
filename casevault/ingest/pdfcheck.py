"""Validate an uploaded PDF with pikepdf without rendering or executing anything.

Refuses what cannot be read safely (cut short, damaged, password, no pages, too
many pages, a page too large to OCR within the pixel limit) and notes active
content (JavaScript, launch actions, embedded files), which is kept in the
original but never run or extracted, and left out of the searchable copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from casevault.core.errors import UnreadableDocument
from casevault.ingest.inert import find_active_content
from casevault.ingest.pages import check_page_pixels

log = logging.getLogger(__name__)

_EOF_WINDOW = 1024  # readers look for %%EOF in the last 1024 bytes


@dataclass(frozen=True, slots=True)
class PdfCheck:
    page_count: int
    active_content: tuple[str, ...]  # e.g. ("javascript", "embedded file"); empty when none
    encrypted_without_password: bool  # owner-password restrictions only: readable


def check_pdf(path: Path, *, max_pages: int, max_pixels: int, dpi: int) -> PdfCheck:
    """``max_pixels`` per page drawn at ``dpi``, the resolution OCR draws a page at."""
    _require_eof_marker(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise UnreadableDocument("The PDF is password-protected: remove the password and upload it again.") from None
    except pikepdf.PdfError:
        raise UnreadableDocument(
            "The PDF is damaged and cannot be read: open it in a PDF reader, save or print "
            "it to a new PDF, and upload that."
        ) from None
    with pdf:
        try:
            page_count = len(pdf.pages)
        except pikepdf.PdfError:
            raise UnreadableDocument(
                "The PDF's page list is damaged: save or print it to a new PDF and upload that."
            ) from None
        if page_count == 0:
            raise UnreadableDocument("The PDF has no pages: check it is the right file and upload it again.")
        if page_count > max_pages:
            raise UnreadableDocument(
                f"The PDF has {page_count} pages, more than the {max_pages} allowed: "
                "split it into smaller files and upload them separately."
            )
        _check_page_sizes(pdf, max_pixels=max_pixels, dpi=dpi)
        active = find_active_content(pdf)
        check = PdfCheck(page_count, active, encrypted_without_password=pdf.is_encrypted)
    if active:
        log.info("pdf accepted; active content never run, left out of the searchable copy: %s", ", ".join(active))
    return check


def _require_eof_marker(path: Path) -> None:
    """A PDF without %%EOF near its end was cut short (an interrupted upload or copy)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - _EOF_WINDOW))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise UnreadableDocument(
            "The PDF is incomplete (it ends before the end of the document, as if the file "
            "was cut short): upload the complete file again."
        )


def _check_page_sizes(pdf: pikepdf.Pdf, *, max_pixels: int, dpi: int) -> None:
    for number, page in enumerate(pdf.pages, start=1):
        try:
            visible = pikepdf.Rectangle(page.mediabox) & pikepdf.Rectangle(page.cropbox)  # what is drawn
            width, height = abs(float(visible.width)), abs(float(visible.height))
        except (pikepdf.PdfError, TypeError, ValueError):
            raise UnreadableDocument(
                f"Page {number}'s size is damaged: save or print the document to a new PDF and upload that."
            ) from None
        check_page_pixels(page=number, width_pt=width, height_pt=height, dpi=dpi, max_pixels=max_pixels)
