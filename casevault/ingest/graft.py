"""Put tesseract's invisible text pages over the original pages with pikepdf.

The original page's content stream and images are not touched: the existing
content is bracketed by two new streams (``q`` before, ``Q`` and the overlay
after), and the text page is drawn as a form XObject through one matrix that
undoes everything done to the raster (orientation turn, deskew, rasterising,
page rotation). Each line of text is then turned about its middle to lie level
on the page as the reader sees it (see ``_level_lines``). Nothing executable is added: a form XObject of text only, and
whatever active content the original has is left out (see ``inert``).
"""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass
from decimal import Decimal
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
    node: pikepdf.Object | None = page
    resources = None
    while node is not None and resources is None:
        resources = node.get("/Resources")
        node = node.get("/Parent")
    own = pikepdf.Dictionary({k: v for k, v in resources.items()}) if resources is not None else pikepdf.Dictionary()
    xobjects = own.get("/XObject")
    own.XObject = pikepdf.Dictionary(dict(xobjects.items())) if xobjects is not None else pikepdf.Dictionary()
    page.Resources = own
    xobjects_of_page: pikepdf.Dictionary = own.XObject  # attribute access on pikepdf objects is untyped
    return xobjects_of_page


def _graft_page(pdf: pikepdf.Pdf, page: pikepdf.Page, overlay: Overlay) -> None:
    with pikepdf.open(overlay.text_pdf) as text:
        text_page = text.pages[0]
        left, bottom, right, top = (float(v) for v in text_page.mediabox)
        # text page points -> the image's pixels -> the original page
        width, height = overlay.image_size
        to_image = Matrix().translated(-left, -bottom) @ Matrix().scaled(
            width / (right - left), height / (top - bottom)
        )
        matrix = to_image @ overlay.image_to_page
        _level_lines(text, text_page, matrix)
        form = pdf.copy_foreign(text_page.as_form_xobject())
    xobjects = _own_xobjects(page.obj)
    name = next(n for n in (pikepdf.Name(f"/CvOcr{i}") for i in range(1_000)) if n not in xobjects)
    xobjects[name] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\nq " + matrix.encode() + f" cm {name} Do Q\n".encode()))


_MAX_LEVELLING = 10.0  # degrees; a line more askew than this is left as tesseract placed it
_GLYPH_WIDTH = 0.5  # tesseract's GlyphLessFont: every glyph is half an em wide


def _level_lines(text: pikepdf.Pdf, text_page: pikepdf.Page, to_page: Matrix) -> None:
    """Turn each line of tesseract's text page about its middle so it lies level on the page.

    tesseract sets each line on the scan's baseline, so on a skewed scan every line is
    a little rotated; text extractors (pdftotext, and viewers' find and copy) group
    glyphs into lines by baseline and then split such words mid-way ("plac" / "ement").
    Level lines read back as whole words, and still lie over their ink to within half
    the skew across the line. Lines at right angles (a page read turned) stay at
    right angles: only the remainder to the nearest quarter turn is taken out.
    """
    out: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    block: list[pikepdf.ContentStreamInstruction] = []
    for instruction in pikepdf.parse_content_stream(text_page):
        operator = str(instruction.operator)
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            out.append(instruction)  # never inside BT..ET
        elif operator == "BT" or block:
            block.append(instruction)
        else:
            out.append(instruction)
        if operator == "ET" and block:
            out += _level_block(block, to_page)
            block = []
    out += block
    text_page.obj.Contents = text.make_stream(pikepdf.unparse_content_stream(out))


def _level_block(
    block: list[pikepdf.ContentStreamInstruction], to_page: Matrix
) -> list[pikepdf.ContentStreamInstruction]:
    """One BT..ET line: its text matrix (Tm) replaced by a level one through the line's middle."""
    tm_at, size, scale, start, end = None, 0.0, 1.0, 0.0, 0.0
    for at, instruction in enumerate(block):
        name = str(instruction.operator)
        operands = [float(v) for v in instruction.operands if isinstance(v, (int, float, Decimal))]
        if name == "Tm" and tm_at is None:
            tm_at = at
        elif name == "Tf" and operands:
            size = operands[-1]
        elif name == "Tz" and operands:
            scale = operands[0] / 100
        elif name == "Td" and operands:
            start += operands[0]
        elif name == "TJ":
            glyphs = sum(len(bytes(item)) // 2 for item in instruction.operands[0] if isinstance(item, pikepdf.String))
            end = max(end, start + glyphs * _GLYPH_WIDTH * size * scale)
    if tm_at is None:
        return block
    line = Matrix(*(float(v) for v in block[tm_at].operands)) @ to_page  # text space -> page
    angle = math.degrees(math.atan2(line.b, line.a))
    off_level = angle - 90 * round(angle / 90)
    if abs(off_level) > _MAX_LEVELLING:
        return block
    middle = (line.a * end / 2 + line.e, line.b * end / 2 + line.f)
    about_middle = (
        Matrix().translated(-middle[0], -middle[1]) @ Matrix().rotated(-off_level) @ Matrix().translated(*middle)
    )
    level = line @ about_middle @ to_page.inverse()
    block[tm_at] = pikepdf.ContentStreamInstruction([round(v, 4) for v in level.shorthand], pikepdf.Operator("Tm"))
    return block
