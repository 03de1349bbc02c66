"""Ingest: uploads checked and normalised to PDF, OCR, searchable PDF, page text, search.

The document-processing core needs no database, storage or HTTP:

    document = normalise_upload(path, workdir=tmp, limits=UploadLimits())
    result = make_searchable(document.pdf, workdir=tmp, options=OcrOptions(languages="eng"))
    result.searchable_pdf, [(p.page, p.text, p.method) for p in result.pages]
"""

from casevault.ingest.normalise import NormalisedDocument, normalise_upload
from casevault.ingest.ocr import OcrEngine, OcrFailed, OcrTimedOut, Tesseract
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import PageResult, SearchableResult, make_searchable

__all__ = [
    "NormalisedDocument",
    "OcrEngine",
    "OcrFailed",
    "OcrOptions",
    "OcrTimedOut",
    "PageResult",
    "SearchableResult",
    "Tesseract",
    "UploadLimits",
    "make_searchable",
    "normalise_upload",
]
