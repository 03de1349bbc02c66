"""Redaction that really removes: a page with a redaction is rebuilt from its redacted image.

A black box drawn over a searchable PDF hides nothing: the text layer underneath (the
OCR text, or the word processor's own) is still there to select, search and copy, and so
are the page's original images. So every page with a region is drawn to a raster
(pdfium, 300 dpi, without its annotations), the boxes are burned into the pixels
(Pillow), and the page is replaced by that image alone; its text layer is rebuilt by
tesseract from the redacted image (one process per core, as the pipeline runs it), so
it can hold only what is still visible. The document itself is rebuilt rather than
edited: a new PDF receives the pages, and nothing of the old one's catalogue (document
information, XMP metadata, bookmarks, named destinations, JavaScript, attachments,
forms); pages without regions are copied, stripped of annotations, page-level actions,
metadata and thumbnails.

    regions = regions_for_term(words, "Jane Doe")       # words: ingest.words.PageWords
    redacted = redact_pdf(pdf_bytes, regions, scratch=settings.scratch_dir)

``words_for`` finds a document's word positions: its stored ``words`` object, or, for a
document processed before they were kept, the pipeline's reading of its original again.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from pikepdf import Matrix
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from casevault.archive import Vault
from casevault.core.db import SessionFactory
from casevault.core.errors import InvalidInput, NotFound, UnreadableDocument
from casevault.core.models import Case, Document, Person, StoredObject, Variant
from casevault.core.regions import Region
from casevault.core.scratch import private_dir
from casevault.ingest.graft import Overlay, graft
from casevault.ingest.inert import make_inert
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.ocr import Recognition, ocr_engine
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import make_searchable
from casevault.ingest.words import PageWords, Word, decode

log = logging.getLogger(__name__)

# 300 dpi: at 200 tesseract misread words beside a box in the tests ("Marjoric"). Measured on a
# loaded 2-core machine, a full letter page took 3.2 s at 300 dpi (1.1 MB a page) and 1.9 s at 200,
# with 2 processes: a caller short of time may pass dpi=200.
REDACT_DPI = 300
PREVIEW_DPI = 100
_PAD = 0.2  # of a word's height, above and below: ascenders, descenders, a little slack
_PAD_ACROSS = 0.2  # of a character's width, left and right
_MIN_PAD = 0.001  # of the page
_JPEG_QUALITY = 85
_PAGE_KEYS_DROPPED = ("/Annots", "/AA", "/Metadata", "/PieceInfo", "/Thumb", "/B", "/StructParents", "/ID", "/PZ")
_SAME_LINE = 0.5  # words overlapping this much of the smaller height lie on one line
_HYPHENS = ("-", "\u00ad", "\u2010")  # hyphen-minus, soft hyphen, hyphen


# --- terms -> regions -------------------------------------------------------------------


def fold(text: str) -> str:
    """Case and accents folded: "Zoë" and "ZOE" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[^\w]+", fold(text)) if token]


def _word_parts(text: str) -> set[str]:
    """What a word may match: its letters and digits, and each hyphen- or apostrophe-joined part
    ("Doe's", "Doe-Smith" and "(Doe)" all contain "doe")."""
    parts = set(_tokens(text))
    joined = "".join(_tokens(text))
    return parts | {joined} if joined else parts


def regions_for_term(words: Sequence[PageWords], term: str) -> list[Region]:
    """Every occurrence of ``term`` on the pages, as padded regions: case-insensitive,
    accents folded, a term of several words matched across adjacent words (also across a
    line break, one region per line), and a word broken by a hyphen at a line's end
    ("Fair-" then "weather") matched as the whole word. Empty when it is not found."""
    wanted = _tokens(term)
    if not wanted:
        return []
    regions: list[Region] = []
    for page in words:
        parts = [_word_parts(word.text) for word in page.words]
        at = 0
        while at + len(wanted) <= len(page.words):  # each token takes one word or two
            taken = _match(page.words, parts, at, wanted)
            if taken:
                regions += _line_regions(page.page, page.words[at : at + taken])
                at += taken
            else:
                at += 1
    return regions


def _match(words: Sequence[Word], parts: list[set[str]], at: int, wanted: list[str]) -> int:
    """How many words, from ``at`` on, spell ``wanted`` (0 when they do not)."""
    index = at
    for token in wanted:
        if index < len(words) and token in parts[index]:
            index += 1
        elif index + 1 < len(words) and _rejoined(words[index], words[index + 1]) == token:
            index += 2
        else:
            return 0
    return index - at


def _rejoined(first: Word, second: Word) -> str | None:
    """A word hyphenated at the end of a line, put back together ("Fair-", "weather" ->
    "fairweather"); None unless ``first`` ends with a hyphen and ``second`` starts the next line."""
    if not first.text.rstrip().endswith(_HYPHENS) or _same_line(first, second):
        return None
    head, tail = _tokens(first.text), _tokens(second.text)
    return head[-1] + tail[0] if head and tail else None


def _line_regions(page: int, matched: Sequence[Word]) -> list[Region]:
    lines: list[list[Word]] = []
    for word in matched:
        if lines and _same_line(lines[-1][-1], word):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [_padded(page, line) for line in lines]


def _same_line(a: Word, b: Word) -> bool:
    overlap = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return overlap >= _SAME_LINE * min(a.height, b.height)


def _padded(page: int, line: Sequence[Word]) -> Region:
    left = min(word.left for word in line)
    top = min(word.top for word in line)
    right = max(word.left + word.width for word in line)
    bottom = max(word.top + word.height for word in line)
    # Pads in the page's own fractions: across, a share of a character's width (the gap to the
    # next word is about half of one); down, a share of the line's height.
    across = max(_PAD_ACROSS * max(word.width / max(1, len(word.text)) for word in line), _MIN_PAD)
    down = max(_PAD * (bottom - top), _MIN_PAD)
    left, right = max(0.0, left - across), min(1.0, right + across)
    top, bottom = max(0.0, top - down), min(1.0, bottom + down)
    return Region(page, left, top, right - left, bottom - top)


# --- burning regions into a page image ----------------------------------------------------


def burn(picture: Image.Image, regions: Sequence[Region]) -> Image.Image:
    """The picture with each region filled black (whole pixels, rounded outwards)."""
    width, height = picture.size
    draw = ImageDraw.Draw(picture)
    for region in regions:
        x0, y0 = math.floor(region.left * width), math.floor(region.top * height)
        x1 = math.ceil((region.left + region.width) * width)
        y1 = math.ceil((region.top + region.height) * height)
        draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), fill="black")
    return picture


def render_page(pdf: Path, page: int, *, dpi: int) -> Image.Image:
    """Page ``page`` (1-based) drawn as the reader sees it, without annotations or forms."""
    doc = _open(pdf)
    try:
        if not 1 <= page <= len(doc):
            raise InvalidInput(f"page {page} is outside the document's {len(doc)} page(s)", field="page")
        return _render(doc, page - 1, dpi)
    finally:
        doc.close()


def _render(doc: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image:
    page = doc[index]
    try:
        bitmap = page.render(scale=dpi / 72, draw_annots=False, may_draw_forms=False)
        picture: Image.Image = bitmap.to_pil().convert("RGB")
        bitmap.close()
        return picture
    finally:
        page.close()


def _open(pdf: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        raise UnreadableDocument("The PDF cannot be opened to redact it: process the document again.") from None


# --- the redacted document --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Burned:
    index: int  # 0-based
    image: Path  # JPEG, the page as seen, regions black
    size: tuple[int, int]  # pixels
    page_size: tuple[float, float]  # points: the page as seen


def redact_pdf(
    pdf: bytes,
    regions: Sequence[Region],
    *,
    scratch: Path,
    options: OcrOptions | None = None,
    dpi: int = REDACT_DPI,
) -> bytes:
    """A new PDF of ``pdf``'s pages in which nothing under a region survives anywhere.

    Pages with regions become their redacted image plus a text layer OCRed from it;
    the others are copied without annotations, actions or metadata; the document's own
    catalogue (information, XMP, outlines, names, JavaScript, attachments) is not carried.
    Plaintext exists only in a private scratch directory, removed on every exit."""
    options = options or OcrOptions()
    by_page: dict[int, list[Region]] = {}
    for region in regions:
        by_page.setdefault(region.page, []).append(region)
    with private_dir(scratch, "redact") as work:
        source = work / "source.pdf"
        source.write_bytes(pdf)
        burned = _burn_pages(source, by_page, work=work, dpi=dpi)
        recognitions = _ocr(burned, work=work, options=options, dpi=dpi)
        rebuilt = work / "rebuilt.pdf"
        _rebuild(source, burned, out=rebuilt)
        overlays = [
            Overlay(page.index, recognitions[page.index].text_pdf, page.size, _image_to_page(page))
            for page in burned
            if recognitions[page.index].words
        ]
        grafted = work / "redacted.pdf"
        graft(rebuilt, overlays, out=grafted)
        result = _scrub(grafted)
    log.info("redacted %d region(s) on %d page(s)", len(regions), len(burned))
    return result


def _burn_pages(source: Path, by_page: dict[int, list[Region]], *, work: Path, dpi: int) -> list[_Burned]:
    """Rasterise each page with regions, on this thread (pdfium is not thread-safe)."""
    doc = _open(source)
    try:
        pages = len(doc)
        outside = sorted(page for page in by_page if not 1 <= page <= pages)
        if outside:
            raise InvalidInput(f"page {outside[0]} is outside the document's {pages} page(s)", field="page")
        burned = []
        for number in sorted(by_page):
            picture = burn(_render(doc, number - 1, dpi), by_page[number])
            path = work / f"p{number:05d}.jpg"
            picture.save(path, "JPEG", quality=_JPEG_QUALITY, dpi=(dpi, dpi))
            width, height = picture.size
            burned.append(_Burned(number - 1, path, (width, height), (width * 72 / dpi, height * 72 / dpi)))
        return burned
    finally:
        doc.close()


def _ocr(burned: list[_Burned], *, work: Path, options: OcrOptions, dpi: int) -> dict[int, Recognition]:
    """tesseract on the redacted images only, one process per core."""
    engine = ocr_engine(options)

    def read(page: _Burned) -> Recognition:
        return engine.recognise(page.image, dpi=dpi, out_stem=work / f"ocr{page.index + 1:05d}")

    with ThreadPoolExecutor(max_workers=max(1, options.processes), thread_name_prefix="redact") as pool:
        return {page.index: recognition for page, recognition in zip(burned, pool.map(read, burned), strict=True)}


def _image_to_page(page: _Burned) -> Matrix:
    width, height = page.size
    return Matrix().scaled(page.page_size[0] / width, page.page_size[1] / height)


def _rebuild(source: Path, burned: list[_Burned], *, out: Path) -> None:
    """A new document: the redacted pages as images, the others copied and stripped."""
    replaced = {page.index: page for page in burned}
    with pikepdf.open(source) as old, pikepdf.new() as new:
        for index, page in enumerate(old.pages):
            if index in replaced:
                new.pages.append(_image_page(new, replaced[index]))
            else:
                new.pages.append(page)
                _strip_page(new.pages[-1])
        new.save(out)


def _image_page(pdf: pikepdf.Pdf, burned: _Burned) -> pikepdf.Page:
    width, height = burned.size
    image = pikepdf.Stream(pdf, burned.image.read_bytes())
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
    w_pt, h_pt = burned.page_size
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, w_pt, h_pt],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, f"q {w_pt:.4f} 0 0 {h_pt:.4f} 0 0 cm /Im0 Do Q".encode()),
    )
    return pikepdf.Page(page)


def _strip_page(page: pikepdf.Page) -> None:
    for key in _PAGE_KEYS_DROPPED:
        if key in page.obj:
            del page.obj[key]
    _strip_xobjects(page.obj.get("/Resources"), depth=0)


def _strip_xobjects(resources: object, *, depth: int) -> None:
    """Metadata and private data of the page's images and forms (and theirs, a few levels down)."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 8:
        return
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    for _, xobject in xobjects.items():
        if isinstance(xobject, pikepdf.Stream):
            for key in ("/Metadata", "/PieceInfo", "/OPI"):
                if key in xobject:
                    del xobject[key]
            _strip_xobjects(xobject.get("/Resources"), depth=depth + 1)


def _scrub(path: Path) -> bytes:
    """The last word: no document information, no catalogue entries beyond the page tree."""
    with pikepdf.open(path) as pdf:
        make_inert(pdf)
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for key in list(pdf.Root.keys()):
            if key not in ("/Type", "/Pages"):
                del pdf.Root[key]
        out = path.with_name("final.pdf")
        pdf.save(out, fix_metadata_version=False)
    return out.read_bytes()


# --- a document's word positions --------------------------------------------------------


def words_for(
    new_session: SessionFactory,
    *,
    vault: Vault,
    document_id: int,
    scratch: Path,
    options: OcrOptions,
    limits: UploadLimits,
) -> list[PageWords]:
    """The document's word positions: its ``words`` object, decrypted in memory; or, for a
    document processed before they were kept, the pipeline's reading of its original
    again (its text layer where usable, tesseract on its page images elsewhere), in a
    private scratch directory removed at once. Takes no session of the caller's: on
    SQLite an open transaction would lock out the data key's lookup."""
    with new_session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} not found")
        subject = _subject(session, document)
        rows = session.exec(select(StoredObject).where(StoredObject.document_id == document_id)).all()
        objects = {row.variant: (row.object_key, row.tier) for row in rows}
    stored = objects.get(Variant.words)
    if stored is not None:
        with vault.open(subject=subject, object_key=stored[0], tier=stored[1]) as chunks:
            data = b"".join(chunks)
        try:
            return decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("document %s: its word positions cannot be read; reading the pages again", document_id)
    original = objects.get(Variant.original)
    if original is None:
        raise NotFound(f"document {document_id} has no original file")
    log.info("document %s has no word positions (processed before they were kept): reading its pages", document_id)
    with private_dir(scratch, "words") as work:
        path = work / "original"
        vault.read_to(subject=subject, object_key=original[0], tier=original[1], dest=path)
        normalised = normalise_upload(path, workdir=work, limits=limits)
        result = make_searchable(normalised.pdf, workdir=work / "ocr", options=options)
        return [PageWords(page.page, page.words) for page in result.pages]


def _subject(session: Session, document: Document) -> str:
    case = session.get(Case, document.case_id)
    person = session.get(Person, case.person_id) if case else None
    if person is None:
        raise NotFound(f"document {document.id} not found")
    return person.pseudonym
