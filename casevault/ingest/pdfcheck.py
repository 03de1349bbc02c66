"""Validate an uploaded PDF with pikepdf without rendering or executing anything.

Refuses what cannot be read safely (cut short, damaged, password, no pages, too
many pages) and notes active content (JavaScript, launch actions, embedded
files), which is kept in the original but never run or extracted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from casevault.core.errors import UnreadableDocument

log = logging.getLogger(__name__)

_EOF_WINDOW = 1024  # readers look for %%EOF in the last 1024 bytes

# Action types that run code or reach outside the document.
_ACTIVE_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch action", "/ImportData": "import action"}


@dataclass(frozen=True, slots=True)
class PdfCheck:
    page_count: int
    active_content: tuple[str, ...]  # e.g. ("javascript", "embedded file"); empty when none
    encrypted_without_password: bool  # owner-password restrictions only: readable


def check_pdf(path: Path, *, max_pages: int) -> PdfCheck:
    _require_eof_marker(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise UnreadableDocument(
            "The PDF is password-protected: remove the password and upload it again."
        ) from None
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
        active = _active_content(pdf)
        check = PdfCheck(page_count, active, encrypted_without_password=pdf.is_encrypted)
    if active:
        log.info("pdf accepted with active content kept inert: %s", ", ".join(active))
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


def _active_content(pdf: pikepdf.Pdf) -> tuple[str, ...]:
    """Names of the kinds of active content anywhere in the file, found without running any."""
    found: set[str] = set()
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("javascript")
        if "/EmbeddedFiles" in names:
            found.add("embedded file")
    acroform = pdf.Root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and "/XFA" in acroform:
        found.add("xfa form")
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        elif not isinstance(obj, pikepdf.Dictionary):
            continue
        kind = _kind_of(obj)
        if kind:
            found.add(kind)
    return tuple(sorted(found))


def _kind_of(obj: pikepdf.Object) -> str | None:
    if "/JS" in obj:
        return "javascript"
    action = obj.get("/S")
    if isinstance(action, pikepdf.Name) and str(action) in _ACTIVE_ACTIONS:
        return _ACTIVE_ACTIONS[str(action)]
    kind = obj.get("/Type")
    if kind == pikepdf.Name.EmbeddedFile or kind == pikepdf.Name.Filespec and "/EF" in obj:
        return "embedded file"
    if obj.get("/Subtype") == pikepdf.Name.FileAttachment:
        return "embedded file"
    return None
