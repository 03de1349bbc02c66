"""The searchable PDF's text reads back as whole words, as a viewer's find and copy see it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from casevault.ingest.options import OcrOptions
from casevault.ingest.searchable import make_searchable
from tests.ingest.scans import pdf_from_image, text_covers_ink, text_strip

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")

# Long lines of long words: a slight skew moves a line's far end by more than a
# glyph's height, which is where extractors used to cut words in two.
LETTER = (
    "Following the annual review meeting the occupational therapy placement continues",
    "Parents requested information regarding transport arrangements and assessment",
    "Recommendations include additional speech and language therapy provision weekly",
    "Teaching assistants will support communication throughout afternoon sessions",
    "Everybody agreed the placement remains appropriate pending further consultation",
)


def pdftotext_words(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-q", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"[a-z]+", text.lower())


@pytest.mark.parametrize("deskew", [False, True], ids=["as scanned", "deskewed"])
def test_slightly_rotated_scan_reads_back_as_the_whole_words_casevault_recognised(tmp_path: Path, deskew: bool) -> None:
    page = text_strip(LETTER, size=(2480, 800)).rotate(1.5, expand=True, fillcolor=255)
    upload = pdf_from_image(page, tmp_path / "letter.pdf")
    result = make_searchable(upload, workdir=tmp_path / "work", options=OcrOptions(processes=2, deskew=deskew))
    recognised = set(re.findall(r"[a-z]+", result.pages[0].text.lower()))
    assert len(recognised) > 30, result.pages[0].why
    assert recognised <= set(pdftotext_words(result.searchable_pdf)), "words split or lost in the text layer"
    assert text_covers_ink(result.searchable_pdf, 0) > 0.6, "the text still lies over the words on the page"
