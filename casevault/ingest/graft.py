"""Put tesseract's invisible text pages over the original pages with pikepdf.

The original page's content stream and images are not touched: the existing
content is bracketed by two new streams (``q`` before, ``Q`` and the overlay
after), and the text page is drawn as a form XObject through one matrix that
undoes everything done to the raster (orientation turn, deskew, rasterising,
page rotation). Nothing executable is added: a form XObject of text only, and
whatever active content the original has is left out (see ``inert``).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Matrix

from casevault.ingest.inert import find_active_content, make_inert

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Overlay:
    index: int  # 0-based page
    text_pdf: Path  # tesseract's one text-only page
    image_size: tuple[int, int]  # pixels of the image tesseract read
    image_to_page: Matrix  # that image's pixels (y-up) -> original page user space


def graft(source: Path, overlays: list[Overlay], *, out: Path) -> None:
    """The searchable copy: ``source`` with the text pages over its pages and no active
    content; ``source`` byte for byte when there is neither text to add nor anything to remove."""
    with pikepdf.open(source) as pdf:
        active = find_active_content(pdf)
        if not overlays and not active:
            shutil.copyfile(source, out)
            return
        for overlay in overlays:
            _graft_page(pdf, pdf.pages[overlay.index], overlay)
        make_inert(pdf)
        # Streams are written as they came (no decoding, no recompression of images);
        # objects nothing refers to any more (the scripts and files removed) are not written.
        pdf.save(out, recompress_flate=False, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    log.info("grafted %d text layer(s); active content left out: %s", len(overlays), ", ".join(active) or "none")


def _own_xobjects(page: pikepdf.Dictionary) -> pikepdf.Dictionary:
    """Give the page its own (shallow) copy of its resources and return its /XObject dict.

    Resources are often one dictionary shared by many pages (and pikepdf hands
    inherited resources down to each page as a shared reference): adding the
    overlay there would name every page's text layer on every page. The copy
    refers to the very same fonts and images.
    """
    node: pikepdf.Dictionary | None = page
    resources = None
    while node is not None and resources is None:
        resources = node.get("/Resources")
        node = node.get("/Parent")
    own = pikepdf.Dictionary({k: v for k, v in resources.items()}) if resources is not None else pikepdf.Dictionary()
    xobjects = own.get("/XObject")
    own.XObject = pikepdf.Dictionary(dict(xobjects.items())) if xobjects is not None else pikepdf.Dictionary()
    page.Resources = own
    return own.XObject


def _graft_page(pdf: pikepdf.Pdf, page: pikepdf.Page, overlay: Overlay) -> None:
    with pikepdf.open(overlay.text_pdf) as text:
        text_page = text.pages[0]
        left, bottom, right, top = (float(v) for v in text_page.mediabox)
        form = pdf.copy_foreign(text_page.as_form_xobject())
    # text page points -> the image's pixels -> the original page
    width, height = overlay.image_size
    to_image = Matrix().translated(-left, -bottom) @ Matrix().scaled(width / (right - left), height / (top - bottom))
    matrix = to_image @ overlay.image_to_page
    xobjects = _own_xobjects(page.obj)
    name = next(n for n in (pikepdf.Name(f"/CvOcr{i}") for i in range(1_000)) if n not in xobjects)
    xobjects[name] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\nq " + matrix.encode() + f" cm {name} Do Q\n".encode()))
