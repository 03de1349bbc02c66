"""Upload -> searchable PDF with real tesseract on small generated scans.

What officers care about: the words can be found in the PDF and in each page's
text, the page images are the ones they uploaded, and a bad page fails clearly.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from casevault.core.errors import ConfigurationError, TransientError, UnreadableDocument
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import SearchableResult, make_searchable
from tests.ingest.scans import (
    JAVASCRIPT,
    WORDS,
    active_content_objects,
    extracted_text,
    image_xobjects,
    pdf_from_image,
    pdf_with_active_content,
    pdf_with_inherited_resources,
    pdf_with_text_pages,
    save,
    text_covers_ink,
    text_strip,
    words_in,
)

OPTIONS = OcrOptions(processes=2)
EXPECTED = {w.lower() for w in WORDS}


def searchable(upload: Path, tmp_path: Path, options: OcrOptions = OPTIONS) -> tuple[Path, SearchableResult]:
    document = normalise_upload(upload, workdir=tmp_path / "work", limits=UploadLimits())
    return document.pdf, make_searchable(document.pdf, workdir=tmp_path / "work", options=options)


def assert_searchable(original: Path, result: SearchableResult, pages: int = 1) -> None:
    assert [p.page for p in result.pages] == list(range(1, pages + 1))
    for page, text in zip(result.pages, extracted_text(result.searchable_pdf), strict=True):
        assert page.method == "ocr"
        assert words_in(page.text) >= EXPECTED, page.why
        assert words_in(text) >= EXPECTED, "a PDF reader's search finds the words"
    assert image_xobjects(result.searchable_pdf) == image_xobjects(original), "page images untouched"
    for index in range(pages):
        assert text_covers_ink(result.searchable_pdf, index) > 0.6, "the text lies over the words on the page"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_scanned_image_becomes_a_searchable_pdf(tmp_path: Path, fmt: str) -> None:
    upload = save(text_strip(), tmp_path / f"scan.{fmt.lower()}", format=fmt)
    original, result = searchable(upload, tmp_path)
    assert_searchable(original, result)
    assert result.pages[0].rotated_degrees == 0


def test_jpeg_inside_pdf_becomes_searchable_with_its_jpeg_untouched(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    before = hashlib.sha256(upload.read_bytes()).hexdigest()
    original, result = searchable(upload, tmp_path)
    assert original == upload
    assert_searchable(original, result)
    assert hashlib.sha256(upload.read_bytes()).hexdigest() == before, "the upload itself is never changed"


def test_two_page_tiff_gives_two_searchable_pages(tmp_path: Path) -> None:
    upload = save(
        text_strip(), tmp_path / "scan.tif", save_all=True, append_images=[text_strip(mode="1")], compression="tiff_lzw"
    )
    original, result = searchable(upload, tmp_path)
    assert_searchable(original, result, pages=2)


@pytest.mark.parametrize("kind", ["png", "jpeg-in-pdf"])
def test_page_turned_sideways_is_detected_and_read(tmp_path: Path, kind: str) -> None:
    sideways = text_strip().rotate(90, expand=True)
    if kind == "png":
        upload = save(sideways, tmp_path / "sideways.png", format="PNG")
    else:
        upload = pdf_from_image(sideways, tmp_path / "sideways.pdf")
    original, result = searchable(upload, tmp_path)
    assert result.pages[0].rotated_degrees == 90, result.pages[0].why
    assert_searchable(original, result)


def test_phone_photo_with_exif_rotation_is_shown_upright_and_read(tmp_path: Path) -> None:
    stored = text_strip().rotate(90, expand=True)  # the camera stored it sideways...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and says "turn 90 degrees clockwise to show"
    upload = save(stored, tmp_path / "photo.jpg", format="JPEG", exif=exif.tobytes())
    original, result = searchable(upload, tmp_path)
    with pikepdf.open(original) as pdf:
        assert pdf.pages[0].obj.Rotate == 90
    assert image_xobjects(original) == [upload.read_bytes()]
    assert_searchable(original, result)


def test_skewed_scan_with_deskew_on_is_read_and_placed(tmp_path: Path) -> None:
    upload = save(text_strip().rotate(3, expand=True, fillcolor=255), tmp_path / "skewed.png", format="PNG")
    original, result = searchable(upload, tmp_path, OcrOptions(processes=2, deskew=True))
    assert "deskewed" in result.pages[0].why
    assert_searchable(original, result)


def test_pdf_with_a_text_layer_is_not_ocred_and_not_changed(tmp_path: Path) -> None:
    lines = ("Annual review of provision for the young person", "Speech therapy twice weekly in school")
    upload = pdf_with_text_pages(tmp_path / "letter.pdf", [lines] * 20)
    no_ocr = OcrOptions(processes=2, tesseract=fake_tesseract(tmp_path, "kill -SEGV $$"))  # would fail if run
    result = make_searchable(upload, workdir=tmp_path / "work", options=no_ocr)
    assert {p.method for p in result.pages} == {"text_layer"}
    assert all(words_in(p.text) >= EXPECTED for p in result.pages)
    assert result.searchable_pdf.read_bytes() == upload.read_bytes()


def test_mixed_pdf_ocrs_only_the_scanned_page(tmp_path: Path) -> None:
    typed = pdf_with_text_pages(tmp_path / "typed.pdf", [("This letter was typed and saved as a PDF document",)])
    scanned = pdf_from_image(text_strip(), tmp_path / "scanned.pdf")
    upload = tmp_path / "mixed.pdf"
    with pikepdf.open(typed) as pdf, pikepdf.open(scanned) as scan:
        pdf.pages.extend(scan.pages)
        pdf.save(upload)
    result = make_searchable(upload, workdir=tmp_path / "work", options=OPTIONS)
    assert [p.method for p in result.pages] == ["text_layer", "ocr"]
    assert "typed" in words_in(result.pages[0].text)
    assert words_in(extracted_text(result.searchable_pdf)[1]) >= EXPECTED


def test_pages_sharing_inherited_resources_each_get_only_their_own_text(tmp_path: Path) -> None:
    upload = pdf_with_inherited_resources(tmp_path / "inherited.pdf")
    assert upload.read_bytes().count(b"/Resources") == 1, "one resource dictionary, in the page tree"
    original, result = searchable(upload, tmp_path)
    assert_searchable(original, result, pages=2)
    with pikepdf.open(result.searchable_pdf) as pdf:
        for page in pdf.pages:
            forms = [k for k, v in page.obj.Resources.XObject.items() if v.get("/Subtype") == pikepdf.Name.Form]
            assert len(forms) == 1, "a page's resources name its own text layer only"


def test_scan_with_a_short_text_header_is_still_ocred(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "fax.pdf")
    with pikepdf.open(upload, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        helvetica = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        page.add_resource(helvetica, pikepdf.Name.Font, name=pikepdf.Name.FaxHeader)
        page.contents_add(pdf.make_stream(b"BT /FaxHeader 6 Tf 4 4 Td (FAX 24/11/2026 from school office) Tj ET"))
        pdf.save(upload)
    result = make_searchable(upload, workdir=tmp_path / "work", options=OPTIONS)
    assert result.pages[0].method == "ocr", result.pages[0].why
    assert "fax header" in result.pages[0].why
    assert words_in(extracted_text(result.searchable_pdf)[0]) >= EXPECTED


def test_active_content_stays_in_the_original_and_is_left_out_of_the_searchable_copy(tmp_path: Path) -> None:
    upload = pdf_with_active_content(tmp_path / "active.pdf")
    before = upload.read_bytes()
    document = normalise_upload(upload, workdir=tmp_path / "work", limits=UploadLimits())
    result = make_searchable(document.pdf, workdir=tmp_path / "work", options=OPTIONS)
    assert document.had_active_content
    assert upload.read_bytes() == before, "the original is kept as uploaded"
    assert active_content_objects(upload) == ["file:MZ not really a program", f"js:{JAVASCRIPT}"]
    assert active_content_objects(result.searchable_pdf) == [], "nothing runs or drops a file from the searchable copy"
    assert words_in(extracted_text(result.searchable_pdf)[0]) >= EXPECTED


def fake_tesseract(tmp_path: Path, script: str) -> str:
    path = tmp_path / "tesseract"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_ocr_engine_crash_on_a_page_is_a_clear_error(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    options = OcrOptions(processes=2, tesseract=fake_tesseract(tmp_path, "kill -SEGV $$"))
    with pytest.raises(UnreadableDocument) as caught:
        make_searchable(upload, workdir=tmp_path / "work", options=options)
    assert caught.value.detail.startswith("Page 1: The OCR engine stopped (signal 11)")
    assert not caught.value.retryable


def test_ocr_engine_hanging_on_a_page_times_out_and_may_be_retried(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    options = OcrOptions(processes=2, page_timeout_s=0.5, tesseract=fake_tesseract(tmp_path, "exec sleep 30"))
    started = time.perf_counter()
    with pytest.raises(TransientError) as caught:
        make_searchable(upload, workdir=tmp_path / "work", options=options)
    assert time.perf_counter() - started < 5
    assert caught.value.retryable and caught.value.detail.startswith("Page 1: OCR took longer than")


def test_missing_ocr_engine_is_a_configuration_error(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    options = OcrOptions(tesseract=str(tmp_path / "no-such-tesseract"))
    with pytest.raises(ConfigurationError, match="install tesseract"):
        make_searchable(upload, workdir=tmp_path / "work", options=options)


def test_language_not_installed_is_a_configuration_error(tmp_path: Path) -> None:
    upload = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    with pytest.raises(ConfigurationError, match="CASEVAULT_OCR_LANGUAGES"):
        make_searchable(upload, workdir=tmp_path / "work", options=OcrOptions(languages="xyz"))


def test_temporary_files_stay_in_the_workdir(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    upload = pdf_from_image(text_strip(), tmp_path / "in" / "scan.pdf")
    before = set(os.listdir(tmp_path))
    make_searchable(upload, workdir=tmp_path / "work", options=OPTIONS)
    assert set(os.listdir(tmp_path)) - before == {"work"}
    assert os.listdir(tmp_path / "work") == ["searchable.pdf"], "no page images or page texts left behind"


def test_scan_locked_only_against_editing_becomes_searchable(tmp_path: Path) -> None:
    scan = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    upload = tmp_path / "locked.pdf"
    with pikepdf.open(scan) as pdf:
        pdf.save(
            upload, encryption=pikepdf.Encryption(user="", owner="owner", allow=pikepdf.Permissions(modify_other=False))
        )
    original, result = searchable(upload, tmp_path)
    assert_searchable(original, result)
