"""Small documents the ingest tests render themselves: text strips, PDFs, bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DPI = 300

# Words tesseract reads reliably at 300 dpi, and unlikely to appear by accident.
LINES = ("Annual review of provision", "Speech therapy twice weekly")
WORDS = ("Annual", "review", "provision", "Speech", "therapy", "weekly")


def font(size: int = 56) -> ImageFont.FreeTypeFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def text_strip(lines: tuple[str, ...] = LINES, *, size: tuple[int, int] = (1200, 400), mode: str = "L") -> Image.Image:
    """A 4 x 1.3 inch strip at 300 dpi with dark text on white paper."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    y = 60
    for line in lines:
        draw.text((60, y), line, font=font(), fill=0)
        y += 110
    return image.convert(mode)


def save(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, dpi=(DPI, DPI), **options)
    return path


def pdf_with_text_pages(path: Path, pages: list[tuple[str, ...]]) -> Path:
    """A PDF whose pages carry real text (Helvetica), as a word processor would write."""
    pdf = pikepdf.new()
    helvetica = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for lines in pages:
        ops = ["BT /F1 14 Tf 72 720 Td 18 TL"] + [f"({line}) Tj T*" for line in lines] + ["ET"]
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica))
        page.obj.Contents = pdf.make_stream("\n".join(ops).encode("latin-1"))
    pdf.save(path)
    return path


def pdf_from_image(image: Image.Image, path: Path) -> Path:
    """A scan saved as PDF by another program (Pillow writes JPEG inside PDF)."""
    image.convert("RGB").save(path, "PDF", resolution=DPI)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG that declares huge dimensions: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def image_xobjects(pdf_path: Path) -> list[bytes]:
    """The raw (still encoded) bytes of every image on every page, in page order."""
    with pikepdf.open(pdf_path) as pdf:
        found = []
        for page in pdf.pages:
            for _, image in sorted(page.get_images().items()):
                found.append(image.read_raw_bytes())
        return found


def extracted_text(pdf_path: Path) -> list[str]:
    """What a PDF reader's search sees on each page."""
    doc = pdfium.PdfDocument(pdf_path)
    try:
        return [doc[i].get_textpage().get_text_bounded() for i in range(len(doc))]
    finally:
        doc.close()


def words_in(text: str) -> set[str]:
    return {w.strip(".,;:").lower() for w in text.split()}


def text_covers_ink(pdf_path: Path, page_index: int) -> float:
    """Overlap (intersection over union) of the text layer's box and the ink's box.

    Both in the page's user space: the page is rendered with any /Rotate removed,
    so this does not rely on casevault's own coordinate arithmetic.
    """
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[page_index]
        if "/Rotate" in page.obj:
            del page.obj.Rotate
        buffer = io.BytesIO()
        pdf.save(buffer)
    doc = pdfium.PdfDocument(buffer.getvalue())
    try:
        page = doc[page_index]
        left, bottom, right, top = page.get_bbox()
        scale = 1.0
        picture = page.render(scale=scale, grayscale=True).to_pil().convert("L")
        ink = picture.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert ink is not None, "the page has no ink"
        x0, y0, x1, y1 = ink
        ink_box = (left + x0 / scale, top - y1 / scale, left + x1 / scale, top - y0 / scale)
        textpage = page.get_textpage()
        boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
        boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
        assert boxes, "the page has no text layer"
        text_box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    finally:
        doc.close()
    ix = max(0.0, min(ink_box[2], text_box[2]) - max(ink_box[0], text_box[0]))
    iy = max(0.0, min(ink_box[3], text_box[3]) - max(ink_box[1], text_box[1]))
    inter = ix * iy
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
    return inter / (area(ink_box) + area(text_box) - inter)


JAVASCRIPT = "app.alert('this must never run');"


def pdf_with_active_content(path: Path) -> Path:
    """A scanned page carrying document JavaScript, an OpenAction script and an attachment."""
    buffer = io.BytesIO()
    text_strip().convert("RGB").save(buffer, "PDF", resolution=DPI)
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(JAVASCRIPT)))
        pdf.Root.OpenAction = script
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["hello", script])))
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ not really a program")
        pdf.save(path)
    return path


def active_content_objects(pdf_path: Path) -> list[str]:
    """Every JavaScript source and every embedded file's bytes in the file, sorted."""
    found = []
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/JS" in obj:
                found.append("js:" + str(obj.JS))
            if isinstance(obj, pikepdf.Stream) and obj.stream_dict.get("/Type") == pikepdf.Name.EmbeddedFile:
                found.append("file:" + obj.read_bytes().decode("latin-1"))
    return sorted(found)


def raw_pdf(objects: list[bytes]) -> bytes:
    """Write objects 1..n as a PDF by hand, for structures pikepdf would tidy away on save."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_inherited_resources(path: Path, pages: int = 2) -> Path:
    """Pages that draw a scan named only in the page tree's /Resources (they inherit it)."""
    buffer = io.BytesIO()
    strip = text_strip()
    strip.save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    w_pt, h_pt = strip.width * 72 // DPI, strip.height * 72 // DPI
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 %d %d]"
        b" /Resources << /XObject << /Im0 3 0 R >> >> >>" % (pages, w_pt, h_pt),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
        % (strip.width, strip.height, len(jpeg))
        + jpeg
        + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (w_pt, h_pt))
        + b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        + b"\nendstream",
    ] + [b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"] * pages
    path.write_bytes(raw_pdf(objects))
    return path
