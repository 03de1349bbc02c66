"""What the ingest core needs to know from settings, as two small frozen values.

The ingest code never reads settings itself: the composition root builds these once
(``casevault.app.parts``) and passes them in, so tests and the benchmark can state
exactly the limits they run under.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Limits an upload must satisfy before any page of it is decoded."""

    max_bytes: int = 200 * 1024 * 1024
    max_pages: int = 1000
    max_image_pixels: int = 100_000_000  # per page/frame: width * height; a PDF page's at default_dpi
    default_dpi: int = 300  # page size of an image that names no resolution; OCR resolution of a PDF page


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """How pages are made searchable."""

    languages: str = "eng"  # tesseract form: "eng+deu"
    dpi: int = 300  # rasterising resolution when a page names none
    deskew: bool = False
    despeckle: bool = True  # 3x3 mean, then Otsu threshold, before OCR on >= 250 dpi rasters (ingest.despeckle)
    processes: int = 1  # tesseract processes run at once (one per core)
    page_timeout_s: float = 300.0  # one tesseract run on one page
    max_pixels: int = 100_000_000  # per page image OCR reads (the upload limit): larger pages are drawn smaller
    min_text_chars: int = 20  # a page with fewer usable characters is OCRed
    tesseract: str = "tesseract"  # executable name or path
    stall_after: dt.timedelta = dt.timedelta(minutes=5)  # no heartbeat this long: another worker takes over
