"""The bad-file corpus, generated here: each file gets its precise error and a message
an officer can act on; good uploads become a PDF with the right page count."""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from casevault.app import parts
from casevault.core.errors import PayloadTooLarge, UnreadableDocument, UnsupportedMediaType
from casevault.core.settings import Settings
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.options import UploadLimits
from tests.ingest.scans import (
    image_xobjects,
    pdf_from_image,
    pdf_with_active_content,
    pdf_with_text_pages,
    png_header_only,
    save,
    text_strip,
)

LIMITS = UploadLimits()
NAME = "Jane-Doe-EHCP"  # personal data in a filename must never reach a message


def refused(
    path: Path, tmp_path: Path, error: type[Exception] = UnreadableDocument, limits: UploadLimits = LIMITS
) -> str:
    with pytest.raises(error) as caught:
        normalise_upload(path, workdir=tmp_path / "work", limits=limits)
    detail = caught.value.detail
    assert "Jane" not in detail and "EHCP" not in detail
    assert not (tmp_path / "work" / "normalised.pdf").exists(), "nothing is left half-made"
    return detail


def good_pdf(tmp_path: Path, pages: int = 2) -> Path:
    return pdf_with_text_pages(tmp_path / f"{NAME}.pdf", [(f"page {n}",) for n in range(pages)])


# --- PDFs ----------------------------------------------------------------------------


def test_truncated_pdf_is_refused_as_incomplete(tmp_path: Path) -> None:
    data = good_pdf(tmp_path).read_bytes()
    path = tmp_path / f"{NAME}-cut.pdf"
    path.write_bytes(data[: len(data) * 2 // 3])
    assert "incomplete" in refused(path, tmp_path)


def test_header_only_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    assert "upload the complete file again" in refused(path, tmp_path)


def test_damaged_pdf_that_ends_properly_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(2000) + b"\n%%EOF\n")
    detail = refused(path, tmp_path)
    assert "cannot be read" in detail or "damaged" in detail


def test_password_protected_pdf_is_refused_saying_remove_the_password(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}-locked.pdf"
    with pikepdf.open(good_pdf(tmp_path)) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="owner", aes=True))
    assert "password-protected: remove the password" in refused(path, tmp_path)


def test_pdf_locked_only_against_editing_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}-owner.pdf"
    with pikepdf.open(good_pdf(tmp_path)) as pdf:
        pdf.save(
            path, encryption=pikepdf.Encryption(user="", owner="owner", allow=pikepdf.Permissions(modify_other=False))
        )
    assert normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS).page_count == 2


def test_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.pdf"
    pikepdf.new().save(path)
    assert "no pages" in refused(path, tmp_path)


def test_pdf_with_more_pages_than_the_cap_is_refused_saying_split_it(tmp_path: Path) -> None:
    detail = refused(good_pdf(tmp_path, pages=4), tmp_path, limits=UploadLimits(max_pages=3))
    assert "4 pages, more than the 3 allowed" in detail and "split" in detail


def test_pdf_is_kept_as_uploaded(tmp_path: Path) -> None:
    path = good_pdf(tmp_path, pages=3)
    document = normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS)
    assert (document.pdf, document.content_type, document.page_count) == (path, "application/pdf", 3)
    assert not document.had_active_content


def test_pdf_with_javascript_and_embedded_file_is_accepted_and_flagged(tmp_path: Path) -> None:
    path = pdf_with_active_content(tmp_path / f"{NAME}.pdf")
    document = normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS)
    assert document.had_active_content
    assert {"javascript", "embedded file"} <= set(document.active_content)


# --- images --------------------------------------------------------------------------


def test_decompression_bomb_png_is_refused_before_decoding(tmp_path: Path) -> None:
    path = png_header_only(tmp_path / f"{NAME}.png", 20000, 20000)
    assert path.stat().st_size < 1000
    detail = refused(path, tmp_path)
    assert "too large" in detail and "300 dpi" in detail


def test_png_over_our_pixel_cap_but_under_pillows_is_refused_by_ours(tmp_path: Path) -> None:
    path = png_header_only(tmp_path / f"{NAME}.png", 11000, 10000)  # 110 M pixels
    assert "11000 x 10000 pixels" in refused(path, tmp_path)


def test_zero_page_tiff_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.tif"
    path.write_bytes(b"II*\x00\x00\x00\x00\x00")  # first page at offset 0: there is none
    assert "no pages" in refused(path, tmp_path)


def test_damaged_png_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    assert "damaged or incomplete" in refused(path, tmp_path)


def test_tiff_with_more_pages_than_the_cap_is_refused(tmp_path: Path) -> None:
    strip = text_strip(size=(200, 100))
    path = save(strip, tmp_path / f"{NAME}.tif", save_all=True, append_images=[strip] * 3)
    assert "more than 3 pages" in refused(path, tmp_path, limits=UploadLimits(max_pages=3))


def test_random_bytes_are_415(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(b"\x00" + os.urandom(5000))
    assert "PDF, JPEG, PNG or TIFF" in refused(path, tmp_path, UnsupportedMediaType)


def test_upload_over_the_size_cap_is_413(tmp_path: Path) -> None:
    path = save(text_strip(), tmp_path / f"{NAME}.png", format="PNG")
    refused(path, tmp_path, PayloadTooLarge, limits=UploadLimits(max_bytes=100))


def test_jpeg_named_pdf_becomes_a_pdf_holding_the_same_jpeg_bytes(tmp_path: Path) -> None:
    path = save(text_strip(), tmp_path / f"{NAME}.pdf", format="JPEG", quality=85)
    document = normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS)
    assert (document.content_type, document.page_count, document.converted) == ("image/jpeg", 1, True)
    assert image_xobjects(document.pdf) == [path.read_bytes()]  # embedded, not re-encoded


def test_image_page_size_follows_its_dpi_or_the_default(tmp_path: Path) -> None:
    with_dpi = save(text_strip(), tmp_path / "a.png", format="PNG")  # 1200 px at 300 dpi: 4 in
    without = tmp_path / "b.png"
    text_strip().save(without, format="PNG")  # names no dpi: the default applies
    sizes = []
    for path, default in ((with_dpi, 150), (without, 150)):
        document = normalise_upload(path, workdir=tmp_path / path.stem, limits=UploadLimits(default_dpi=default))
        with pikepdf.open(document.pdf) as pdf:
            sizes.append([float(v) for v in pdf.pages[0].mediabox])
    assert sizes == [[0, 0, 288, 96], [0, 0, 576, 192]]


def test_multi_page_tiff_becomes_one_pdf_page_per_frame_losslessly(tmp_path: Path) -> None:
    first, second = text_strip(("first page",)), text_strip(("second page",), mode="1")
    path = save(first, tmp_path / "scan.tif", save_all=True, append_images=[second], compression="tiff_lzw")
    document = normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS)
    assert document.page_count == 2
    with pikepdf.open(document.pdf) as pdf:
        decoded = [pikepdf.PdfImage(im).as_pil_image() for page in pdf.pages for im in page.get_images().values()]
    assert decoded[0].tobytes() == first.tobytes()
    assert decoded[1].convert("L").tobytes() == second.convert("L").tobytes()


def test_limits_and_options_come_from_settings() -> None:
    settings = Settings(max_pages=7, max_image_pixels=2_000_000, ocr_dpi=200, ocr_jobs=3, ocr_languages="eng+deu")
    assert parts.upload_limits(settings) == UploadLimits(
        max_bytes=200 * 1024 * 1024, max_pages=7, max_image_pixels=2_000_000, default_dpi=200
    )
    options = parts.ocr_options(settings)
    assert (options.languages, options.dpi, options.processes) == ("eng+deu", 200, 3)


def test_pdf_made_by_another_program_from_a_scan_is_accepted(tmp_path: Path) -> None:
    path = pdf_from_image(text_strip(), tmp_path / "scan.pdf")
    assert normalise_upload(path, workdir=tmp_path / "work", limits=LIMITS).page_count == 1


def rendered(pdf_path: Path) -> Image.Image:
    doc = pdfium.PdfDocument(pdf_path)
    try:
        return doc[0].render(scale=1).to_pil().convert("L")
    finally:
        doc.close()


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("CMYK", "JPEG"), ("RGBA", "PNG"), ("P", "PNG"), ("1", "PNG"), ("I;16", "PNG")],
)
def test_each_image_mode_is_shown_as_dark_ink_on_white_paper(tmp_path: Path, mode: str, fmt: str) -> None:
    strip = text_strip()
    if mode == "RGBA":  # ink on a transparent sheet: the paper must come out white
        image = Image.new("RGBA", strip.size, (0, 0, 0, 0))
        image.putalpha(strip.point(lambda v: 255 - v))
    elif mode == "I;16":
        image = strip.convert("I").point(lambda v: v * 257).convert("I;16")
    else:
        image = strip.convert(mode)
    upload = save(image, tmp_path / f"scan.{fmt.lower()}", format=fmt)
    document = normalise_upload(upload, workdir=tmp_path / "work", limits=LIMITS)
    page = rendered(document.pdf)
    paper, ink = page.getpixel((5, 5)), page.crop((10, 10, 110, 40)).getextrema()[0]
    assert paper > 200 and ink < 80, (paper, ink)
