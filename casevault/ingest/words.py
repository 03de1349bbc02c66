"""Where each word of a page is: kept from OCR so a term can be redacted wherever it stands.

Boxes are fractions of the page as it is seen (its /Rotate applied), measured from its
top left, like ``core.regions.Region``: they mean the same at any resolution and in the
original and the searchable PDF alike. Pages read by tesseract take their boxes from the
same run's word-level tsv; pages with a usable text layer take them from pdfium's
character boxes. Stored as JSON in a ``words`` object, encrypted like every object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pikepdf import Matrix, Rectangle

from casevault.ingest.ocr import WordBox
from casevault.ingest.pages import turn

FORMAT = 1
_DIGITS = 5  # 1/100000 of a page: far finer than a pixel at 300 dpi


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class PageWords:
    page: int  # 1-based
    words: tuple[Word, ...]


def encode(pages: Sequence[PageWords]) -> bytes:
    body = {
        "format": FORMAT,
        "pages": [
            {
                "page": page.page,
                "words": [
                    [word.text, *(round(v, _DIGITS) for v in (word.left, word.top, word.width, word.height))]
                    for word in page.words
                ],
            }
            for page in pages
        ],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(data: bytes) -> list[PageWords]:
    body = json.loads(data.decode("utf-8"))
    if body.get("format") != FORMAT:
        raise ValueError(f"unknown word positions format {body.get('format')!r}")
    return [
        PageWords(
            int(page["page"]),
            tuple(Word(str(t), float(x), float(y), float(w), float(h)) for t, x, y, w, h in page["words"]),
        )
        for page in body["pages"]
    ]


def page_frame(page: pdfium.PdfPage) -> Matrix:
    """Page user space -> fractions of the page as seen, y down from its top left."""
    left, bottom, right, top = page.get_bbox()
    turned, viewed_w, viewed_h = turn(right - left, top - bottom, page.get_rotation())
    return (
        Matrix().translated(-left, -bottom)
        @ turned
        @ Matrix().scaled(1 / viewed_w, -1 / viewed_h)
        @ Matrix().translated(0, 1)
    )


def frame_of(doc: pdfium.PdfDocument, index: int) -> Matrix:
    page = doc[index]
    try:
        return page_frame(page)
    finally:
        page.close()


def _word(text: str, box: Rectangle) -> Word:
    left, top = max(0.0, box.llx), max(0.0, box.lly)
    right, bottom = min(1.0, box.urx), min(1.0, box.ury)
    return Word(text, left, top, max(0.0, right - left), max(0.0, bottom - top))


def ocr_words(
    boxes: Sequence[WordBox], *, image_size: tuple[int, int], to_page: Matrix, frame: Matrix
) -> tuple[Word, ...]:
    """Tesseract's boxes (pixels from the image's top left) as fractions of the page as seen.
    ``to_page``: the image's pixels (y up) -> page user space, as the pipeline grafts the text."""
    height = image_size[1]
    to_fraction = to_page @ frame
    return tuple(
        _word(
            b.text,
            to_fraction.transform(Rectangle(b.left, height - b.top - b.height, b.left + b.width, height - b.top)),
        )
        for b in boxes
    )


def text_layer_words(doc: pdfium.PdfDocument, index: int) -> tuple[Word, ...]:
    """The words of a page's own text layer, each the union of its characters' boxes."""
    page = doc[index]
    try:
        frame = page_frame(page)
        textpage = page.get_textpage()
        try:
            return tuple(_words_of(textpage, frame))
        finally:
            textpage.close()
    finally:
        page.close()


def _words_of(textpage: pdfium.PdfTextPage, frame: Matrix) -> list[Word]:
    words: list[Word] = []
    chars: list[str] = []
    box: list[float] = []  # llx, lly, urx, ury in user space

    def flush() -> None:
        if chars and box:
            words.append(_word("".join(chars), frame.transform(Rectangle(*box))))
        chars.clear()
        box.clear()

    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
        char = chr(code) if 0 < code < 0x110000 else ""
        if not char or char.isspace() or not char.isprintable():
            flush()
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        if right <= left and top <= bottom:
            chars.append(char)  # a character with no extent: part of the word, adds no area
            continue
        if box:
            box[:] = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        else:
            box[:] = [left, bottom, right, top]
        chars.append(char)
    flush()
    return words
