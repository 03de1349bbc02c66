"""Look at a PDF's pages with pdfium: which carry usable text, and the raster to OCR.

pdfium is not thread-safe: everything here runs on the calling thread, while
tesseract runs in subprocesses. Nothing is executed (no forms, no JavaScript).
No raster exceeds the pixel limit: a page is refused (at upload, by its size at
the OCR resolution) or drawn at a resolution that fits.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pikepdf import Matrix, Rectangle

from casevault.core.errors import UnreadableDocument

log = logging.getLogger(__name__)

_MAX_BAD_RATIO = 0.1  # more unmapped glyphs than this: the text layer is garbage
_SCAN_TEXT_CHARS = 200  # a page-sized scan with less text than this is OCRed anyway
_SCAN_COVER = 0.5  # "page-sized": the largest image covers at least half the page
_MIN_RENDER_DPI, _MAX_RENDER_DPI = 150, 600
_FULL_PAGE = 0.98  # an image covering this much of the page is "the scan"
_MIN_OCR_DPI = 70  # a page that fits the pixel limit only below this is not worth reading


@dataclass(frozen=True, slots=True)
class TextLayer:
    index: int  # 0-based
    text: str
    usable: bool
    why: str


def read_text_layers(doc: pdfium.PdfDocument, *, min_chars: int) -> list[TextLayer]:
    return [_text_layer(doc, index, min_chars) for index in range(len(doc))]


def _text_layer(doc: pdfium.PdfDocument, index: int, min_chars: int) -> TextLayer:
    page = doc[index]
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
        textpage.close()
        good, bad = _count_chars(text)
        if min_chars <= good < _SCAN_TEXT_CHARS:
            covered = _image_cover(page)
            if covered >= _SCAN_COVER:
                why = f"a scan ({covered:.0%} image) with only {good} characters of text, e.g. a fax header: OCR"
                return TextLayer(index, "", False, why)
    finally:
        page.close()
    if good < min_chars:
        return TextLayer(index, "", False, f"text layer has {good} characters (< {min_chars}): OCR")
    if bad > _MAX_BAD_RATIO * (good + bad):
        return TextLayer(index, "", False, f"text layer has {bad} unmapped of {good + bad} characters: OCR")
    return TextLayer(index, text.strip(), True, f"text layer has {good} characters: used as is")


def _count_chars(text: str) -> tuple[int, int]:
    """(usable, unmapped) non-space characters; unmapped glyphs come out as U+FFFD or controls."""
    good = bad = 0
    for char in text:
        if char.isspace():
            continue
        if char == "\ufffd" or unicodedata.category(char) in ("Cc", "Co", "Cn"):
            bad += 1
        else:
            good += 1
    return good, bad


def _image_cover(page: pdfium.PdfPage) -> float:
    """Share of the page the largest image covers (0..1)."""
    left, bottom, right, top = page.get_bbox()
    area: float = max((right - left) * (top - bottom), 1e-6)  # pypdfium2 is untyped
    largest = 0.0
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        x0, y0, x1, y1 = image.get_bounds()
        largest = max(largest, (min(x1, right) - max(x0, left)) * (min(y1, top) - max(y0, bottom)))
    return largest / area


@dataclass(frozen=True, slots=True)
class Raster:
    index: int
    path: Path
    width: int  # pixels
    height: int
    dpi: int  # what tesseract is told
    to_page: Matrix  # raster pixels (y-up) -> page user space (points)
    how: str


def make_raster(doc: pdfium.PdfDocument, index: int, *, out_stem: Path, default_dpi: int, max_pixels: int) -> Raster:
    """The scan's own JPEG when the page is just that, else a greyscale rendering;
    never more than ``max_pixels``."""
    page = doc[index]
    try:
        images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
        scan = _lone_jpeg_scan(page, images, max_pixels)
        if scan is not None:
            return _extract_jpeg(index, scan, out_stem)
        return _render(index, page, images, out_stem, default_dpi, max_pixels)
    finally:
        page.close()


def check_page_pixels(*, page: int, width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> None:
    """Refuse a page that drawn at ``dpi`` would have more than ``max_pixels``: the
    pixel limit on an image upload, applied to a PDF page (1-based ``page``)."""
    if _pixels(width_pt, height_pt, dpi) > max_pixels:
        raise _too_large(page, width_pt, height_pt, dpi, max_pixels)


def _pixels(width_pt: float, height_pt: float, dpi: float) -> float:
    return (width_pt * dpi / 72) * (height_pt * dpi / 72)


def _too_large(page: int, width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> UnreadableDocument:
    return UnreadableDocument(
        f"Page {page} is {width_pt:,.0f} x {height_pt:,.0f} pt, which is {_mpx(_pixels(width_pt, height_pt, dpi))} "
        f"Mpx at {dpi} dpi; the limit is {_mpx(max_pixels)} Mpx per page, so this document can never be made "
        "searchable. Scan or save it at a normal paper size (such as A4) and upload that."
    )


def _mpx(pixels: float) -> str:
    return f"{pixels / 1e6:,.0f}" if pixels >= 10e6 else f"{pixels / 1e6:.1f}"


def _lone_jpeg_scan(page: pdfium.PdfPage, images: list[pdfium.PdfImage], max_pixels: int) -> pdfium.PdfImage | None:
    """The page's only object, a grey/RGB JPEG drawn upright over the whole page,
    small enough to OCR as it is, if so."""
    if page.get_rotation() != 0 or len(images) != 1 or sum(1 for _ in page.get_objects(max_depth=2)) != 1:
        return None
    image = images[0]
    if image.get_filters() != ["DCTDecode"]:
        return None
    m = image.get_matrix()
    if m.b != 0 or m.c != 0 or m.a <= 0 or m.d <= 0:
        return None
    left, bottom, right, top = page.get_bbox()
    if m.a * m.d < _FULL_PAGE * (right - left) * (top - bottom):
        return None
    meta = image.get_metadata()
    if meta.bits_per_pixel not in (8, 24):  # grey or RGB: what tesseract reads as is
        return None
    if meta.width * meta.height > max_pixels:  # drawn within the limit instead
        return None
    return image


def _extract_jpeg(index: int, image: pdfium.PdfImage, out_stem: Path) -> Raster:
    path = out_stem.with_suffix(".jpg")
    path.write_bytes(bytes(image.get_data(decode_simple=False)))
    meta = image.get_metadata()
    m = image.get_matrix()
    width, height = meta.width, meta.height
    to_page = Matrix().scaled(1 / width, 1 / height) @ Matrix(m.a, m.b, m.c, m.d, m.e, m.f)
    dpi = max(70, round(meta.horizontal_dpi))  # tesseract is told the truth; nothing is resampled
    return Raster(index, path, width, height, dpi, to_page, "scan's JPEG bytes, not re-rendered")


def _render(
    index: int, page: pdfium.PdfPage, images: list[pdfium.PdfImage], out_stem: Path, default_dpi: int, max_pixels: int
) -> Raster:
    native = max(images, key=lambda im: im.get_px_size()[0] * im.get_px_size()[1], default=None)
    dpi = _clamp_dpi(native.get_metadata().horizontal_dpi) if native is not None else default_dpi
    left, bottom, right, top = page.get_bbox()  # the visible box, in user space
    chosen, dpi = dpi, _fitting_dpi(index, right - left, top - bottom, dpi, max_pixels)
    bitmap = page.render(scale=dpi / 72, may_draw_forms=False, grayscale=True)
    picture = bitmap.to_pil()
    if picture.mode != "L":
        picture = picture.convert("L")
    path = out_stem.with_suffix(".pgm")
    picture.save(path)
    width, height = picture.size
    rotation = page.get_rotation()
    turned, viewed_w, viewed_h = turn(right - left, top - bottom, rotation)
    # raster px -> viewed points -> unturned -> user space (box origin)
    to_page = (
        Matrix().scaled(viewed_w / width, viewed_h / height) @ turned.inverse() @ Matrix().translated(left, bottom)
    )
    how = f"rendered at {dpi} dpi" + (" (the page's image resolution)" if native is not None else " (no image on page)")
    if dpi != chosen:
        how += f", not {chosen} dpi, to stay within {_mpx(max_pixels)} Mpx"
    return Raster(index, path, width, height, dpi, to_page, how)


def _fitting_dpi(index: int, width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> int:
    """``dpi``, or the highest resolution at which the page keeps within ``max_pixels``
    (a large page drawing a high-resolution image: the upload check used the OCR dpi)."""
    if _pixels(width_pt, height_pt, dpi) <= max_pixels:
        return dpi
    fitting = math.floor(72 * math.sqrt(max_pixels / (width_pt * height_pt)))
    if fitting < _MIN_OCR_DPI:
        raise _too_large(index + 1, width_pt, height_pt, dpi, max_pixels)
    return fitting


def _clamp_dpi(dpi: float) -> int:
    return int(min(max(round(dpi), _MIN_RENDER_DPI), _MAX_RENDER_DPI))


def turn(width: float, height: float, cw_degrees: float) -> tuple[Matrix, float, float]:
    """Turn a ``width`` x ``height`` box clockwise; the turned box's corner lands on (0, 0).

    Returns the forward matrix (y-up, ``a @ b`` applies ``a`` first) and the turned
    box's size. Exact for multiples of 90 degrees; for small (deskew) angles it
    matches Pillow's ``rotate(expand=True)`` to within a pixel.
    """
    spin = Matrix().rotated(-cw_degrees)
    if abs(cw_degrees) % 90 == 0:  # cos 90 is 6e-17 in floating point: make right angles exact
        spin = Matrix(*(float(round(v)) for v in spin.shorthand))
    box = spin.transform(Rectangle(0, 0, width, height))
    return spin @ Matrix().translated(-box.llx, -box.lly), box.width, box.height
