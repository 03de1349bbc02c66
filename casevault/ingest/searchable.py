"""PDF -> searchable PDF plus each page's text. No database, no storage, no HTTP.

    make_searchable(pdf, workdir=..., options=OcrOptions.from_settings(s))

1. read each page's text layer (pdfium); pages with usable text keep it, untouched;
2. the others get a raster (the scan's own JPEG when the page is just that,
   else a rendering at the page image's resolution) and are OCRed, one
   tesseract process per core; a page whose words come out as nonsense is
   checked for orientation (OSD) and read again turned;
3. tesseract's invisible text pages are grafted over the original pages.

Safe in a Celery prefork child: the thread pool lives for one call, and its
threads only wait on tesseract subprocesses, each bounded by a timeout.
"""

from __future__ import annotations

import logging
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image

from casevault.core.errors import UnreadableDocument
from casevault.ingest.affine import Matrix, turn
from casevault.ingest.deskew import estimate_skew_cw
from casevault.ingest.graft import Overlay, graft
from casevault.ingest.ocr import OcrEngine, OcrFailed, Recognition, Tesseract
from casevault.ingest.options import OcrOptions
from casevault.ingest.pages import Raster, TextLayer, make_raster, read_text_layers

log = logging.getLogger(__name__)

_SIDEWAYS_CONFIDENCE = 60.0  # mean word confidence below this: maybe the page lies sideways
_MIN_WORDS_TO_JUDGE = 3
_MIN_OSD_CONFIDENCE = 1.0  # low on purpose: a turn is only kept if it reads better
_MIN_DESKEW = 0.1  # degrees; less is not worth resampling the raster


@dataclass(frozen=True, slots=True)
class PageResult:
    page: int  # 1-based
    text: str
    method: Literal["text_layer", "ocr"]
    rotated_degrees: int  # clockwise turn applied before OCR (0, 90, 180, 270)
    why: str  # what was decided for this page, and why


@dataclass(frozen=True, slots=True)
class SearchableResult:
    searchable_pdf: Path
    pages: list[PageResult]
    seconds: float

    @property
    def ocr_pages(self) -> int:
        return sum(1 for page in self.pages if page.method == "ocr")


@dataclass(frozen=True, slots=True)
class _OcrPage:
    index: int
    recognition: Recognition
    size: tuple[int, int]  # of the image tesseract read, pixels
    to_page: Matrix  # that image's pixels (y-up) -> page user space
    rotated_degrees: int
    why: str


def make_searchable(
    pdf: Path, *, workdir: Path, options: OcrOptions, engine: OcrEngine | None = None
) -> SearchableResult:
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "searchable.pdf"
    engine = engine or Tesseract(languages=options.languages, timeout_s=options.page_timeout_s,
                                 executable=options.tesseract)
    doc = _open(pdf)
    try:
        layers = read_text_layers(doc, min_chars=options.min_text_chars)
        todo = [layer.index for layer in layers if not layer.usable]
        ocred = _ocr_pages(doc, todo, workdir=workdir, options=options, engine=engine)
        overlays = _overlays(ocred)
        if overlays:
            graft(pdf, overlays, out=out)
        else:
            shutil.copyfile(pdf, out)  # every page kept its own text (or OCR found none): nothing to add
    finally:
        doc.close()
        shutil.rmtree(workdir / "pages", ignore_errors=True)  # rasters and page texts: document content
    result = SearchableResult(out, _page_results(layers, ocred), time.perf_counter() - started)
    log.info("searchable: %d page(s), %d OCRed, %.2f s", len(result.pages), result.ocr_pages, result.seconds)
    return result


def _open(pdf: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        raise UnreadableDocument(
            "The PDF cannot be opened for reading its pages: save or print it to a new PDF and upload that."
        ) from None


def _raster(doc: pdfium.PdfDocument, index: int, pagedir: Path, options: OcrOptions) -> Raster:
    try:
        return make_raster(doc, index, out_stem=pagedir / f"p{index + 1:05d}", default_dpi=options.dpi)
    except pdfium.PdfiumError:
        raise UnreadableDocument(
            f"Page {index + 1} cannot be drawn: save or print the document to a new PDF and upload that."
        ) from None


def _ocr_pages(
    doc: pdfium.PdfDocument, todo: list[int], *, workdir: Path, options: OcrOptions, engine: OcrEngine
) -> dict[int, _OcrPage]:
    """Rasterise on this thread (pdfium is not thread-safe), OCR on ``processes`` threads.

    Rasters are made just ahead of need (one more than the processes running),
    so a 1000-page document never has more than a few rasters on disk.
    """
    if not todo:
        return {}
    pagedir = workdir / "pages"
    pagedir.mkdir(exist_ok=True)
    queue = iter(todo)
    results: dict[int, _OcrPage] = {}
    pending: set[Future[_OcrPage]] = set()
    with ThreadPoolExecutor(max_workers=options.processes, thread_name_prefix="ocr") as pool:

        def submit_next() -> None:
            index = next(queue, None)
            if index is not None:
                raster = _raster(doc, index, pagedir, options)
                pending.add(pool.submit(_ocr_page, engine, raster, options))

        try:
            for _ in range(options.processes + 1):
                submit_next()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.discard(future)
                    page = future.result()
                    results[page.index] = page
                    submit_next()
        except BaseException:
            for future in pending:
                future.cancel()  # the ones running end within the page timeout
            raise
    return results


def _ocr_page(engine: OcrEngine, raster: Raster, options: OcrOptions) -> _OcrPage:
    """Deskew (if set), OCR, and if the words look like nonsense, check orientation and retry."""
    try:
        return _read_page(engine, raster, options)
    except OcrFailed as exc:
        raise OcrFailed(f"Page {raster.index + 1}: {exc.detail}") from None
    finally:
        raster.path.unlink(missing_ok=True)


def _read_page(engine: OcrEngine, raster: Raster, options: OcrOptions) -> _OcrPage:
    image, size, to_raster, why = raster.path, (raster.width, raster.height), Matrix(), [raster.how]
    stem = raster.path.with_suffix("")
    if options.deskew:
        with Image.open(raster.path) as picture:
            skew = estimate_skew_cw(picture)
            if abs(skew) >= _MIN_DESKEW:
                image = stem.with_name(stem.name + "-deskewed.pgm")
                picture.convert("L").rotate(-skew, Image.BICUBIC, expand=True, fillcolor=255).save(image)
                forward, _, _ = turn(raster.width, raster.height, skew)
                size, to_raster = Image.open(image).size, forward.inverse()
                why.append(f"deskewed {skew:+.1f} degrees")
            else:
                why.append(f"skew {skew:+.1f} degrees: left as is")
    first = engine.recognise(image, dpi=raster.dpi, out_stem=stem)
    chosen, rotated = first, 0
    if first.words >= _MIN_WORDS_TO_JUDGE and first.mean_confidence < _SIDEWAYS_CONFIDENCE:
        orientation = engine.orientation(image, dpi=raster.dpi)
        if orientation is None or orientation.cw_degrees == 0 or orientation.confidence < _MIN_OSD_CONFIDENCE:
            why.append(f"low confidence {first.mean_confidence:.0f}, orientation upright or unknown: kept")
        else:
            turned_path = stem.with_name(stem.name + f"-turned{orientation.cw_degrees}.pgm")
            with Image.open(image) as picture:
                turned = picture.convert("L").rotate(-orientation.cw_degrees, expand=True)
                turned.save(turned_path)
            second = engine.recognise(turned_path, dpi=raster.dpi, out_stem=turned_path.with_suffix(""))
            turned_path.unlink(missing_ok=True)
            if second.mean_confidence > first.mean_confidence:
                forward, _, _ = turn(size[0], size[1], orientation.cw_degrees)
                chosen, rotated, size = second, orientation.cw_degrees, turned.size
                to_raster = forward.inverse() @ to_raster
                why.append(
                    f"OSD: turned {rotated} degrees (confidence {orientation.confidence:.1f}); "
                    f"word confidence {first.mean_confidence:.0f} -> {second.mean_confidence:.0f}"
                )
            else:
                why.append(f"OSD suggested {orientation.cw_degrees} degrees but it read no better: kept")
    if image != raster.path:
        image.unlink(missing_ok=True)
    why.append(f"OCR: {chosen.words} words, confidence {chosen.mean_confidence:.0f}, {chosen.seconds:.1f} s")
    return _OcrPage(raster.index, chosen, size, to_raster @ raster.to_page, rotated, "; ".join(why))


def _overlays(ocred: dict[int, _OcrPage]) -> list[Overlay]:
    overlays = []
    for index in sorted(ocred):
        page = ocred[index]
        if page.recognition.words == 0:
            continue  # a blank page: nothing to graft
        overlays.append(Overlay(index, page.recognition.text_pdf, page.size, page.to_page))
    return overlays


def _page_results(layers: list[TextLayer], ocred: dict[int, _OcrPage]) -> list[PageResult]:
    results = []
    for layer in layers:
        page = ocred.get(layer.index)
        if page is None:
            results.append(PageResult(layer.index + 1, layer.text, "text_layer", 0, layer.why))
        else:
            why = f"{layer.why}; {page.why}"
            results.append(PageResult(layer.index + 1, page.recognition.text, "ocr", page.rotated_degrees, why))
    return results
