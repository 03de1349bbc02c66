"""PDFs that would be unsafe to OCR or to open: pages too large to draw within the
pixel limit, and active content that must not reach the searchable copy."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array

from casevault.core.errors import UnreadableDocument
from casevault.ingest.inert import find_active_content
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import make_searchable
from tests.ingest.hostile import arm, leftovers, pdf_with_pages, web_links
from tests.ingest.scans import WORDS, extracted_text, pdf_from_image, pdf_with_text_pages, text_strip, words_in

EXPECTED = {w.lower() for w in WORDS}


def test_a_page_too_large_to_ocr_within_the_pixel_limit_is_refused_naming_it(tmp_path: Path) -> None:
    upload = pdf_with_pages(tmp_path / "plan.pdf", [(595, 842), (3000, 3000)])
    assert upload.stat().st_size < 1000, "a tiny file can declare a huge page"
    with pytest.raises(UnreadableDocument) as refused:
        normalise_upload(upload, workdir=tmp_path / "work", limits=UploadLimits())
    detail = refused.value.detail
    assert detail.startswith("Page 2 is 3,000 x 3,000 pt, which is 156 Mpx at 300 dpi; the limit is 100 Mpx"), detail
    assert "never" in detail and "paper size" in detail
    assert not refused.value.retryable


def test_the_visible_box_counts_and_the_ocr_resolution_sets_the_pixels(tmp_path: Path) -> None:
    upload = pdf_with_pages(tmp_path / "cropped.pdf", [(3000, 3000)])
    with pikepdf.open(upload, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.CropBox = Array([0, 0, 595, 842])  # a reader shows, and OCR draws, only A4 of it
        pdf.save(upload)
    assert normalise_upload(upload, workdir=tmp_path / "w", limits=UploadLimits()).page_count == 1
    big = pdf_with_pages(tmp_path / "a3.pdf", [(842, 1191)])  # A3: 17 Mpx at 300 dpi, 70 Mpx at 600
    assert normalise_upload(big, workdir=tmp_path / "w", limits=UploadLimits()).page_count == 1
    with pytest.raises(UnreadableDocument, match="Page 1 is 842 x 1,191 pt, which is 70 Mpx at 600 dpi"):
        normalise_upload(big, workdir=tmp_path / "w", limits=UploadLimits(max_image_pixels=50_000_000, default_dpi=600))


def test_a_page_whose_image_is_finer_than_the_limit_allows_is_drawn_smaller_and_still_read(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")  # 1200 x 400 px JPEG: 0.48 Mpx
    result = make_searchable(upload, workdir=tmp_path / "work", options=OcrOptions(processes=1, max_pixels=300_000))
    page = result.pages[0]
    assert "rendered at 237 dpi" in page.why and "not 300 dpi, to stay within 0.3 Mpx" in page.why, page.why
    assert words_in(page.text) >= EXPECTED
    assert words_in(extracted_text(result.searchable_pdf)[0]) >= EXPECTED


def test_the_searchable_copy_of_a_scan_carries_no_active_content(tmp_path: Path) -> None:
    upload = arm(pdf_from_image(text_strip(), tmp_path / "scan.pdf"))
    before = upload.read_bytes()
    assert len(leftovers(upload)) >= 10, leftovers(upload)
    result = make_searchable(upload, workdir=tmp_path / "work", options=OcrOptions(processes=1))
    assert result.pages[0].method == "ocr"
    assert leftovers(result.searchable_pdf) == []
    with pikepdf.open(result.searchable_pdf) as pdf:
        assert find_active_content(pdf) == ()
    assert web_links(result.searchable_pdf) == ["https://www.gov.uk/children-with-special-educational-needs"]
    assert words_in(extracted_text(result.searchable_pdf)[0]) >= EXPECTED
    assert upload.read_bytes() == before


def test_a_typed_pdf_needing_no_ocr_still_loses_its_active_content(tmp_path: Path) -> None:
    upload = arm(pdf_with_text_pages(tmp_path / "typed.pdf", [("Annual review of provision for the young person",)]))
    result = make_searchable(upload, workdir=tmp_path / "work", options=OcrOptions(processes=1))
    assert [p.method for p in result.pages] == ["text_layer"]
    assert leftovers(result.searchable_pdf) == []
    assert "provision" in words_in(extracted_text(result.searchable_pdf)[0])


def test_every_kind_of_active_content_is_named_at_upload(tmp_path: Path) -> None:
    upload = arm(pdf_from_image(text_strip(), tmp_path / "scan.pdf"))
    with pikepdf.open(io.BytesIO(upload.read_bytes())) as pdf:
        assert set(find_active_content(pdf)) == {
            "automatic action",
            "embedded file",
            "javascript",
            "launch action",
            "script link",
            "xfa form",
        }
