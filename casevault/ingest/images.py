"""Check images from their headers, then wrap them into a PDF without losing anything.

Checks run before any pixel is decoded: Pillow's ``Image.open`` and ``seek``
read headers only, so a decompression bomb is refused at the cost of a few
bytes read. Conversion choices (lossless where possible):

- JPEG: its bytes go into the PDF as they are (``/DCTDecode``): no re-encoding,
  no generation loss, no time spent; EXIF rotation becomes the page's
  ``/Rotate`` so the pixels stay untouched.
- PNG and TIFF (and the rare mirrored-EXIF JPEG): decoded once and stored
  ``/FlateDecode``, which is lossless; bilevel scans (TIFF G4, 1-bit PNG) stay
  1 bit per pixel. Re-encoding as JPEG would be smaller for photos but loses
  detail OCR and officers need, so it is never done.
"""

from __future__ import annotations

import logging
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageOps

from casevault.core.errors import UnreadableDocument
from casevault.ingest.detect import ContentType

log = logging.getLogger(__name__)

_MAX_PAGE_PT = 14_400  # PDF readers' limit on a page side (200 inches)
_MIN_DPI, _MAX_DPI = 70, 2400  # outside this, the file's resolution is not believed
_EXIF_ORIENTATION = 0x0112
_EXIF_ROTATE = {1: 0, 3: 180, 6: 90, 8: 270}  # orientation tag -> /Rotate (clockwise)


@dataclass(frozen=True, slots=True)
class Frame:
    width: int
    height: int
    mode: str
    dpi: float | None  # None: the file names none we believe


@dataclass(frozen=True, slots=True)
class ImageCheck:
    frames: tuple[Frame, ...]


def check_image(path: Path, content_type: ContentType, *, max_pages: int, max_pixels: int) -> ImageCheck:
    """Read headers only; refuse bombs, zero frames and too many frames."""
    if content_type == "image/tiff":
        _require_a_first_page(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our limit decides
            with Image.open(path) as im:
                frames = _frames(im, content_type, max_pages=max_pages, max_pixels=max_pixels)
    except Image.DecompressionBombError:
        raise _bomb(max_pixels) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise UnreadableDocument(
            "The image file is damaged or incomplete and cannot be read: scan or save it again and upload it."
        ) from None
    return ImageCheck(frames)


def _frames(im: Image.Image, content_type: ContentType, *, max_pages: int, max_pixels: int) -> tuple[Frame, ...]:
    frames: list[Frame] = []
    many = content_type == "image/tiff"  # JPEG (MPO previews) and PNG (APNG): the main image only
    index = 0
    while True:
        width, height = im.size
        if width == 0 or height == 0:
            raise UnreadableDocument("The image has no pixels: scan or save it again and upload it.")
        if width * height > max_pixels:
            raise _bomb(max_pixels, width, height)
        frames.append(Frame(width, height, im.mode, _believable_dpi(im.info.get("dpi"))))
        if not many:
            break
        index += 1
        if index > max_pages:
            raise UnreadableDocument(
                f"The image has more than {max_pages} pages, the most allowed: "
                "split it into smaller files and upload them separately."
            )
        try:
            im.seek(index)  # reads the next header only
        except EOFError:
            break
    return tuple(frames)


def _require_a_first_page(path: Path) -> None:
    """A TIFF whose first-page pointer is 0 has no pages; Pillow would call it damaged."""
    with path.open("rb") as f:
        header = f.read(16)
    order = "<" if header[:2] == b"II" else ">"
    (version,) = struct.unpack(order + "H", header[2:4])
    if version == 42 and len(header) >= 8:
        (first,) = struct.unpack(order + "I", header[4:8])
    elif version == 43 and len(header) >= 16:  # BigTIFF
        (first,) = struct.unpack(order + "Q", header[8:16])
    else:
        first = 0
    if first == 0:
        raise UnreadableDocument("The TIFF file contains no pages: scan it again and upload the new file.")


def _bomb(max_pixels: int, width: int | None = None, height: int | None = None) -> UnreadableDocument:
    size = f" ({width} x {height} pixels)" if width else ""
    return UnreadableDocument(
        f"The image is too large to process safely{size}; the most allowed is {max_pixels:,} pixels "
        "per page. Scan it again at 300 dpi, or reduce its size, and upload it again."
    )


def _believable_dpi(dpi: object) -> float | None:
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    try:
        value = float(dpi[0])
    except (TypeError, ValueError):
        return None
    if abs(value - round(value)) < 0.05:
        value = float(round(value))  # PNG stores dots per metre: 11811/m is 300 dpi, not 299.9994
    return value if _MIN_DPI <= value <= _MAX_DPI else None


# --- conversion ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    pages: int
    how: str  # e.g. "jpeg bytes embedded as DCTDecode"


def image_to_pdf(
    path: Path, content_type: ContentType, check: ImageCheck, *, out: Path, default_dpi: int
) -> Conversion:
    pdf = pikepdf.new()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked before
        with Image.open(path) as im:
            rotate = _exif_rotation(im) if content_type == "image/jpeg" else 0
            if content_type == "image/jpeg" and rotate is not None and im.mode in ("L", "RGB", "CMYK"):
                frame = check.frames[0]
                image = _jpeg_stream(pdf, path.read_bytes(), im)
                _add_page(pdf, image, frame.width, frame.height, frame.dpi or default_dpi, rotate)
                how = "jpeg bytes embedded as DCTDecode" + (f", /Rotate {rotate} from EXIF" if rotate else "")
            else:
                for index, frame in enumerate(check.frames):
                    im.seek(index)
                    pixels = ImageOps.exif_transpose(im) if content_type == "image/jpeg" else im
                    image = _flate_stream(pdf, pixels)
                    _add_page(pdf, image, pixels.width, pixels.height, frame.dpi or default_dpi, 0)
                how = f"{len(check.frames)} frame(s) decoded and stored losslessly as FlateDecode"
    pdf.save(out)
    log.info("image converted to pdf: %s", how)
    return Conversion(len(check.frames), how)


def _exif_rotation(im: Image.Image) -> int | None:
    """Clockwise degrees for the page, or None when EXIF mirrors the image."""
    orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    return _EXIF_ROTATE.get(orientation) if orientation in range(1, 9) else 0


def _jpeg_stream(pdf: pikepdf.Pdf, data: bytes, im: Image.Image) -> pikepdf.Stream:
    colour = {"L": pikepdf.Name.DeviceGray, "RGB": pikepdf.Name.DeviceRGB, "CMYK": pikepdf.Name.DeviceCMYK}[im.mode]
    stream = pikepdf.Stream(pdf, data)
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = im.size
    stream.ColorSpace = colour
    stream.BitsPerComponent = 8
    stream.Filter = pikepdf.Name.DCTDecode
    if im.mode == "CMYK" and "adobe" in im.info:
        stream.Decode = pikepdf.Array([1, 0] * 4)  # Adobe CMYK JPEGs store inverted ink
    return stream


def _flate_stream(pdf: pikepdf.Pdf, im: Image.Image) -> pikepdf.Stream:
    im = _pdf_mode(im)
    colour = {
        "1": pikepdf.Name.DeviceGray,
        "L": pikepdf.Name.DeviceGray,
        "RGB": pikepdf.Name.DeviceRGB,
        "CMYK": pikepdf.Name.DeviceCMYK,
    }[im.mode]
    stream = pikepdf.Stream(pdf, zlib.compress(im.tobytes(), 6))
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = im.size
    stream.ColorSpace = colour
    stream.BitsPerComponent = 1 if im.mode == "1" else 8
    stream.Filter = pikepdf.Name.FlateDecode
    return stream


def _pdf_mode(im: Image.Image) -> Image.Image:
    """The nearest mode a PDF image stores directly; transparency goes onto white paper."""
    if im.mode in ("1", "L", "RGB", "CMYK"):
        return im
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "PA", "RGBA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        paper = Image.new("RGB", im.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if im.mode.startswith("I"):  # 16/32-bit grey: keep the top 8 bits
        scale = 1 / 256 if im.mode.startswith("I;16") else 1 / 16_777_216
        return im.convert("I").point(lambda v: v * scale).convert("L")
    return im.convert("RGB")


def _add_page(pdf: pikepdf.Pdf, image: pikepdf.Stream, width: int, height: int, dpi: float, rotate: int) -> None:
    dpi = max(dpi, 72 * max(width, height) / _MAX_PAGE_PT)  # keep each side within 200 inches
    w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
    content = pikepdf.Stream(pdf, f"q {w_pt:.4f} 0 0 {h_pt:.4f} 0 0 cm /Im0 Do Q".encode())
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, round(w_pt, 4), round(h_pt, 4)]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=content,
    )
    if rotate:
        page.Rotate = rotate
    pdf.pages.append(pikepdf.Page(page))
