"""The type comes from the bytes: names and claimed types are never believed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casevault.core.errors import UnsupportedMediaType
from casevault.ingest.detect import detect_type
from tests.ingest.scans import pdf_with_text_pages, save, text_strip


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        (lambda p: save(text_strip(), p, format="PNG"), "image/png"),
        (lambda p: save(text_strip(), p, format="JPEG"), "image/jpeg"),
        (lambda p: save(text_strip(), p, format="TIFF"), "image/tiff"),
        (lambda p: pdf_with_text_pages(p, [("hello",)]), "application/pdf"),
    ],
)
def test_each_accepted_type_is_recognised_whatever_its_name(tmp_path: Path, maker, expected: str) -> None:
    path = maker(tmp_path / "upload.txt")  # a name that says nothing true
    assert detect_type(path).content_type == expected


def test_big_endian_tiff_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "scan"
    path.write_bytes(b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32)
    assert detect_type(path).content_type == "image/tiff"


def test_a_jpeg_named_pdf_is_a_jpeg(tmp_path: Path) -> None:
    path = save(text_strip(), tmp_path / "letter.pdf", format="JPEG")
    assert detect_type(path).content_type == "image/jpeg"


def test_pdf_with_junk_before_its_header_is_a_pdf(tmp_path: Path) -> None:
    original = pdf_with_text_pages(tmp_path / "a.pdf", [("hello",)])
    path = tmp_path / "b"
    path.write_bytes(b"\r\n\r\nX-Mailer junk\r\n" + original.read_bytes())
    assert detect_type(path).content_type == "application/pdf"


@pytest.mark.parametrize("content", [os.urandom(4096), b"PK\x03\x04 a docx is a zip", b"<html>not a scan</html>"])
def test_other_bytes_are_refused_naming_what_is_accepted(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Jane-Doe-report.pdf"
    path.write_bytes(b"\x00" + content)  # never starts with a magic number by chance
    with pytest.raises(UnsupportedMediaType) as caught:
        detect_type(path)
    assert caught.value.http_status == 415
    assert "PDF, JPEG, PNG or TIFF" in caught.value.detail
    assert "Jane" not in caught.value.detail
